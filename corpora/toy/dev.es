Y vivió Peleg treinta años, y engendró á Reu.
Y Abram era riquísimo en ganado, en plata y oro.
Y los hijos de Zabulón: Sered, y Elón, y Jahleel.
Y con cada uno de los siete corderos, una décima;
Baala, é Iim, y Esem,
Benaía Pirathonita, Hiddai del arroyo de Gaas;
Y otros nueve: Ibaar, Elisama, y Eliphelet,
Abisua, Naamán, Ahoa,
La quinta por Malchîas, la sexta por Miamim;
Sallum, Amarías, Joseph.
Volviéronme mal por bien, para abatir á mi alma.
Para siempre, oh Jehová, permanece tu palabra en los cielos.
Porque no aprendas sus maneras, y tomes lazo para tu alma.
Y fué á mí palabra de Jehová, diciendo:
Y he aquí les aparecieron Moisés y Elías, hablando con él.
Y á ella dijo: Los pecados te son perdonados.
Y Bethania estaba cerca de Jerusalem, como quince estadios;
Que si todos fueran un miembro, ¿dónde estuviera el cuerpo?
La gracia del Señor Jesucristo sea con vosotros.
Aprobando lo que es agradable al Señor.
