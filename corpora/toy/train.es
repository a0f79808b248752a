En el principio crió Dios los cielos y la tierra.
Empero Noé halló gracia en los ojos de Jehová.
Los hijos de Châm: Cush, y Mizraim, y Phut, y Canaán.
Y á Obal, y á Abimael, y á Seba,
Y Jehová dijo: ¿Encubriré yo á Abraham lo que voy á hacer,
Y respondió Ephrón á Abraham, diciéndole:
Hadad, y Tema, y Jetur, y Naphis, y Cedema.
Y salió Jacob de Beer-seba, y fué á Harán;
Y después parió una hija, y llamó su nombre Dina.
Y erigió allí un altar, y llamóle: El Dios de Israel.
Y estos fueron los hijos de Ezer: Bilhán, Zaaván, y Acán.
Y el hambre era grande en la tierra.
Y vió Israel los hijos de José, y dijo: ¿Quiénes son éstos?
Rubén, Simeón, Leví y Judá;
Y los hijos de Uzziel: Misael, y Elzaphán y Zithri.
El extranjero y el asalariado no comerán de ella.
Extendiste tu diestra; la tierra los tragó.
No tendrás dioses ajenos delante de mí.
Quemadura por quemadura, herida por herida, golpe por golpe.
El tercer orden, un rubí, un ágata, y una amatista;
No harás dioses de fundición para ti.
Asimismo ungirás la fuente y su basa, y la santificarás.
Y cuando Moisés oyó esto, dióse por satisfecho.
Y Jehová habló á Moisés en el monte de Sinaí, diciendo:
De Gad, Eliasaph hijo de Dehuel.
Jehová alce á ti su rostro, y ponga en ti paz.
Y como lo oyó Moisés, echóse sobre su rostro;
Y de Mathana á Nahaliel: y de Nahaliel á Bamoth:
Y Moisés llevó su causa delante de Jehová.
Y con cada uno de los catorce corderos, una décima;
Los hombres del ejército habían pillado cada uno para sí.
Y partidos de Rimmón-peres, asentaron en Libna.
Y partidos de Mithca, asentaron en Hasmona.
Y partidos de Salmona, asentaron en Phunón.
Tú pasarás hoy el término de Moab, á Ar,
Seis días trabajarás y harás toda tu obra:
Y todo cuervo según su especie,
No pondrás bozal al buey cuando trillare.
Y habló Jehová á Moisés aquel mismo día, diciendo:
El rey de Eglón, otro: el rey de Gezer, otro:
El rey de Simrom-meron, otro: el rey de Achsaph, otro:
Y Asor-hadatta, y Chêrioth-hesron, que es Asor,
Y Zanoa, y Engannim, Tappua, y Enam,
Y Jiphta, y Asna, y Nesib,
Y Janum, y Beth-tappua, y Apheca,
Y Avim, y Para, y Ophra,
Y Hapharaim, y Sión, y Anaarath,
Y Elón, y Timnatha, y Ecrón,
Y murió Jair, y fué sepultado en Camón.
Y juzgó Samuel á Israel todo el tiempo que vivió.
Y Japhia, y Elisama, y Eliada, y Eliphelet.
Samma de Arar, Ahiam hijo de Sarar de Arar.
Ahinadab hijo de Iddo, en Mahanaim;
La altura del uno era de diez codos, y asimismo el otro.
Así se apartó Israel de la casa de David hasta hoy.
Entonces fué palabra de Jehová á Elías Thisbita, diciendo:
Adam, Seth, Enos,
Canaán engendró á Sidón, su primogénito;
Heber, Peleg, Reu,
El duque Oholibama, el duque Ela, el duque Phinón,
Maachâ, concubina de Caleb, le parió á Sebet, y á Thirana.
Los hijos de Jaleleel: Zip, Ziphas, Tirias, y Asareel.
Los hijos de Leví: Gersón, Coath, y Merari.
Eliab su hijo, Jeroham su hijo, Elcana su hijo.
Los hijos de Benjamín fueron tres: Bela, Bechêr, y Jediael.
Los hijos de Jether: Jephone, Pispa, y Ara.
Zebadías, Arad, Heder;
Adón, Zichri, Hanán;
Los hijos de Michâ: Phitón, Melech, Thaarea y Ahaz.
Azmaveth Baharumita, Eliaba Saalbonita;
Jediael hijo de Simri, y Joha su hermano, Thisaita;
Jeremías el décimo, Machbani el undécimo.
Jehová, él es nuestro Dios; sus juicios en toda la tierra.
La séptima por Cos, la octava por Abías;
La vigésimaprima por Jachim, la vigésimasegunda por Hamul;
La sexta á Buccia, con sus hijos y sus hermanos, doce;
Hizo también las basas, sobre las cuales asentó las fuentes;
Y á Adoraim, y á Lachîs, y á Acechâ,
Los hijos de Zachâi, setecientos y sesenta;
Los hijos de Besai, trescientos veinte y tres;
Los hijos de Asmaveth, cuarenta y dos;
Los hijos de Senaa, tres mil seiscientos y treinta;
Benjamín, Malluch, Semarías.
Machnadbai, Sasai, Sarai,
Los hijos de Binnui, seiscientos cuarenta y ocho;
Los hijos de Hariph, ciento doce;
Los varones de la otra Nebo, cincuenta y dos;
Seraías, Azarías, Jeremías,
Zachû, Serebías, Sebanías,
Magpías, Mesullam, Hezir,
Malluch, Harim, Baana.
Lod, y Ono, valle de los artífices.
De Melichâ, Jonathán; de Sebanías, Joseph;
De Hilcías, Hasabías; de Jedaías, Nathanael.
Los Judíos tuvieron luz y alegría, y gozo y honra.
¿Soy yo la mar, ó ballena, que me pongas guarda?
Y respondió Eliphaz Temanita, y dijo:
¿Tienen sus ejércitos número? ¿y sobre quién no está su luz?
Y ahora yo soy su canción, y he sido hecho su refrán.
Y añadió Eliú, y dijo:
Murió pues Job viejo, y lleno de días.
Contar puedo todos mis huesos; ellos miran, considéranme.
Mas yo en ti confié, oh Jehová: yo dije: Dios mío eres tú.
Por tanto denunciaré mi maldad; congojaréme por mi pecado.
Con viento solano quiebras tú las naves de Tharsis.
De su fuerza esperaré yo en ti: porque Dios es mi defensa.
Mas yo siempre esperaré, y añadiré sobre toda tu alabanza.
Pan de nobles comió el hombre: envióles comida á hartura.
Una vez he jurado por mi santidad, que no mentiré á David.
La cual concertó con Abraham; y de su juramento á Isaac.
Despiértate, salterio y arpa: despertaré al alba.
Por qué dirán las gentes: ¿Dónde está ahora su Dios?
Tomaré la copa de la salud, é invocaré el nombre de Jehová.
Pues no hacen iniquidad los que andan en sus caminos.
Esto tuve, porque guardaba tus mandamientos.
¡Cuánto amo yo tu ley! todo el día es ella mi meditación.
Yo soy pacífico: mas ellos, así que hablo, me hacen guerra.
He aquí que así será bendito el hombre que teme á Jehová.
El sana á los quebrantados de corazón, y liga sus heridas.
Sus caminos son caminos deleitosos, y todas sus veredas paz.
La cual no teniendo capitán, ni gobernador, ni señor,
Tú lo herirás con vara, y librarás su alma del infierno.
Yo el Predicador fuí rey sobre Israel en Jerusalem.
El rey Salomón se hizo una carroza de madera del Líbano.
Y quitará totalmente los ídolos.
El Señor envió palabra á Jacob, y cayó en Israel.
Vinieron pues los siervos de Ezechîas á Isaías.
No hay paz, dijo mi Dios, para los impíos.
La palabra que fué á Jeremías de Jehová, diciendo:
Y me seréis por pueblo, y yo seré vuestro Dios.
Así ha dicho Jehová Dios de Israel, á ti, oh Baruch:
Como oso que acecha fué para mí, como león en escondrijos.
Hasta que Jehová mire y vea desde los cielos.
Y fué á mí palabra de Jehová, diciendo:
Y fué á mí palabra de Jehová, diciendo:
Y después de su purificación, le contarán siete días.
Ephraim es dado á ídolos; déjalo.
Y Jehová le dijo: ¿Haces tú bien en enojarte tanto?
Y fué palabra de Jehová á mí, diciendo:
Y abriendo su boca, les enseñaba, diciendo:
Y Jesús le dijo: Yo iré y le sanaré.
Y entrando en la casa, saludadla.
Pues os digo que uno mayor que el templo está aquí.
Y enviando, degolló á Juan en la cárcel.
Y mandó á las gentes que se recostasen sobre la tierra.
Ellos le dicen: Señor, que sean abiertos nuestros ojos.
¡Vosotros también henchid la medida de vuestros padres!
Y las cinco de ellas eran prudentes, y las cinco fatuas.
Y sentados le guardaban allí.
Y le siguió Simón, y los que estaban con él;
Oid: He aquí, el sembrador salió á sembrar.
Y los que comieron eran cinco mil hombres.
Mas él respondiendo, les dijo: ¿Qué os mandó Moisés?
Orad pues, que no acontezca vuestra huída en invierno.
Mas ni aun así se concertaba el testimonio de ellos.
Entonces María dijo: engrandece mi alma al Señor;
Y verá toda carne la salvación de Dios.
Y les decía: El Hijo del hombre es Señor aun del sábado.
El pan nuestro de cada día, dánoslo hoy.
Y he aquí un hombre hidrópico estaba delante de él.
Y dijéronle que pasaba Jesús Nazareno.
Y como llegó cerca, viendo la ciudad, lloró sobre ella,
Así que David le llama Señor: ¿cómo pues es su hijo?
Y ellos le dijeron: ¿Dónde quieres que aparejemos?
Entonces Pilato juzgó que se hiciese lo que ellos pedían;
En él estaba la vida, y la vida era la luz de los hombres.
Respondió Nicodemo, y díjole: ¿Cómo puede esto hacerse?
Dícele Jesús: Yo soy, que hablo contigo.
Y estaba cerca la Pascua, la fiesta de los Judíos.
Así que había disensión entre la gente acerca de él.
Y porque yo digo verdad, no me creéis.
Respondió él, y dijo: ¿Quién es, Señor, para que crea en él?
Entonces, pues, Jesús les dijo claramente: Lázaro es muerto;
Si me amáis, guardad mis mandamientos;
Así que, entonces tomó Pilato á Jesús, y le azotó.
Y todo el pueblo le vió andar y alabar á Dios.
Y mató á cuchillo á Jacobo, hermano de Juan.
Y se quedaron allí mucho tiempo con los discípulos.
Así crecía poderosamente la palabra del Señor, y prevalecía.
El cual pagará á cada uno conforme á sus obras:
No hay temor de Dios delante de sus ojos.
Bendecid á los que os persiguen: bendecid, y no maldigáis.
Saludad á Amplias, amado mío en el Señor.
Mas si alguno ama á Dios, el tal es conocido de él.
Ninguno busque su propio bien, sino el del otro.
Mas ahora muchos miembros son á la verdad, empero un cuerpo.
¿Y por qué nosotros peligramos á toda hora?
Mas el que se gloría, gloríese en el Señor.
Mas venida la fe, ya no estamos bajo ayo;
Si vivimos en el Espíritu, andemos también en el Espíritu.
Ni deis lugar al diablo.
Gozaos en el Señor siempre: otra vez digo: Que os gocéis.
Que vosotros sois nuestra gloria y gozo.
Examinadlo todo; retened lo bueno.
Porque Adam fué formado el primero, después Eva;
Procura venir presto á mí:
Y otra vez aquí: No entrarán en mi reposo.
Permanezca el amor fraternal.
Hospedaos los unos á los otros sin murmuraciones.
El anciano al muy amado Gaio, al cual yo amo en verdad.
