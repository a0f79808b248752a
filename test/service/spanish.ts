/** Spanish sentences of the Bible domain the bundled model knows, for the service tests. */
export const SPANISH = [
  'En el principio creó Dios los cielos y la tierra.',
  'Y la tierra estaba desordenada y vacía.',
  'Y dijo Dios: Sea la luz; y fue la luz.',
  'Y vio Dios que la luz era buena.',
  'Y llamó Dios a la luz Día, y a las tinieblas llamó Noche.',
  'Hola, mundo.',
  'Y fue la tarde y la mañana un día.',
  'Luego dijo Dios: Haya expansión en medio de las aguas.',
];
