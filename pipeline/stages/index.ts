// Importing this module registers every built-in stage with the registry.
import './dataStages.js';
import './distillStage.js';
import './tokenizerStages.js';
import './trainStage.js';
import './evaluateStage.js';
