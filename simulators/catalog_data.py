"""The merchant catalog as a table (parsed by simulators.catalog).

One line per merchant under a `## <tally category>` heading (the true category, for
evaluations):  name | api_category | mcc | descriptor template | countries | website | flags

- api_category: the merchant-lookup API's own vocabulary (what the simulated API answers).
- mcc: ISO 18245 code the card network reports, `-` for none (fees, payroll, transfers).
- descriptor placeholders: {store} store number, {n} short number, {ref} reference,
  {CITY} the city in capitals, {cc} the country code.
- flags: `online` (no city), `unknown` (the lookup API does not know it), `in` (money in),
  `mixed` (either direction).
"""

TABLE = """
## groceries
Lidl                  | supermarket       | 5411 | LIDL {store} {CITY}            | DE FR GB ES IT NL AT | lidl.com |
Aldi Sued             | supermarket       | 5411 | ALDI SUED {store} {CITY}       | DE AT       | aldi-sued.de |
Aldi Nord             | supermarket       | 5411 | ALDI NORD {store}              | DE          | aldi-nord.de |
Aldi Stores           | supermarket       | 5411 | ALDI STORES {store} {CITY}     | GB          | aldi.co.uk |
REWE                  | supermarket       | 5411 | REWE MARKT GMBH {store}        | DE          | rewe.de |
EDEKA                 | supermarket       | 5411 | EDEKA CENTER {store} {CITY}    | DE          | edeka.de |
Kaufland              | supermarket       | 5411 | KAUFLAND {store} {CITY}        | DE          | kaufland.de |
Netto Marken-Discount | supermarket       | 5411 | NETTO MARKEN-DISCOUNT {store}  | DE          | netto-online.de |
Penny Markt           | supermarket       | 5411 | PENNY MARKT {store}            | DE AT       | penny.de |
Billa                 | supermarket       | 5411 | BILLA DANKT {store}            | AT          | billa.at |
Spar                  | supermarket       | 5411 | SPAR EXPRESS {CITY} {store}    | AT NL IE    | spar.at |
Carrefour             | supermarket       | 5411 | CARREFOUR MARKET {CITY} {n}    | FR ES IT    | carrefour.fr |
Monoprix              | supermarket       | 5411 | MONOPRIX {store} {CITY}        | FR          | monoprix.fr |
Franprix              | convenience_store | 5499 | FRANPRIX {store}               | FR          | franprix.fr |
E.Leclerc             | supermarket       | 5411 | E.LECLERC {CITY}               | FR          | e.leclerc |
Tesco                 | supermarket       | 5411 | TESCO STORES {store} {CITY}    | GB IE       | tesco.com |
Sainsbury's           | supermarket       | 5411 | SAINSBURYS S/MKTS {CITY}       | GB          | sainsburys.co.uk |
Waitrose              | supermarket       | 5411 | WAITROSE {store}               | GB          | waitrose.com |
Morrisons             | supermarket       | 5411 | MORRISONS {store} {CITY}       | GB          | morrisons.com |
Mercadona             | supermarket       | 5411 | MERCADONA {CITY}               | ES          | mercadona.es |
Albert Heijn          | supermarket       | 5411 | ALBERT HEIJN {store} {CITY}    | NL          | ah.nl |
Jumbo Supermarkten    | supermarket       | 5411 | JUMBO SUPERMARKTEN {store}     | NL          | jumbo.com |
Esselunga             | supermarket       | 5411 | ESSELUNGA {store} {CITY}       | IT          | esselunga.it |
Whole Foods Market    | supermarket       | 5411 | WHOLEFDS MKT {store} {CITY}    | US | wholefoodsmarket.com |
Trader Joe's          | supermarket       | 5411 | TRADER JOE'S #{store} {CITY}   | US          | traderjoes.com |
Safeway               | supermarket       | 5411 | SAFEWAY {store} {CITY}         | US          | safeway.com |
7-Eleven              | convenience_store | 5499 | 7-ELEVEN {store}               | US JP       | 7-eleven.com |
Kamps                 | bakery            | 5462 | KAMPS BACKSTUBE {store}        | DE          | kamps.de |
Boulangerie Paul      | bakery            | 5462 | BOULANGERIE PAUL {n}           | FR GB       | paul.fr |
Flink                 | grocery_store     | 5499 | FLINK SE {ref}                 | DE NL       | goflink.com | online
Picnic                | grocery_store     | 5499 | PICNIC {ref}                   | NL DE       | picnic.app | online
Bioladen Am Markt     | grocery_store     | 5499 | SUMUP *BIOLADEN AM MARKT       | DE          | - | unknown
Metzgerei Huber       | butcher           | 5422 | METZGEREI HUBER                | DE          | - | unknown
## dining_out
Starbucks             | coffee_shop       | 5814 | STARBUCKS STORE {store}        | DE GB US FR JP | starbucks.com |
Blue Bottle Coffee    | coffee_shop       | 5814 | SQ *BLUE BOTTLE COFFEE         | US JP | bluebottlecoffee.com |
Costa Coffee          | coffee_shop       | 5814 | COSTA COFFEE {store}           | GB          | costa.co.uk |
Caffe Nero            | coffee_shop       | 5814 | IZ *CAFFE NERO {n}             | GB IE       | caffenero.com |
Einstein Kaffee       | coffee_shop       | 5814 | EINSTEIN KAFFEE {n}            | DE          | einstein-kaffee.de |
McDonald's            | fast_food         | 5814 | MCDONALD'S {store} {CITY} | DE FR GB US ES IT NL | mcdonalds.com |
Burger King           | fast_food         | 5814 | BURGER KING #{store}           | DE GB US ES | burgerking.com |
KFC                   | fast_food         | 5814 | KFC {store}                    | DE GB US    | kfc.com |
Subway                | fast_food         | 5814 | SUBWAY {store} {CITY}          | DE GB US    | subway.com |
Domino's Pizza        | fast_food         | 5814 | DOMINO'S PIZZA {store}         | DE GB NL US | dominos.com |
Chipotle              | fast_food         | 5814 | CHIPOTLE {store} {CITY}        | US          | chipotle.com |
Pret A Manger         | fast_food         | 5814 | PRET A MANGER {CITY}           | GB FR US    | pret.com |
Greggs                | fast_food         | 5814 | GREGGS {store} {CITY}          | GB          | greggs.co.uk |
Vapiano               | restaurant        | 5812 | VAPIANO {CITY} {n}             | DE AT NL    | vapiano.com |
Wagamama              | restaurant        | 5812 | WAGAMAMA {n} {CITY}            | GB NL       | wagamama.com |
Hans im Glueck        | restaurant        | 5812 | HANS IM GLUECK {CITY}          | DE | hansimglueck-burgergrill.de |
L'Osteria             | restaurant        | 5812 | L OSTERIA {CITY}               | DE AT       | losteria.net |
Joe's Pizza           | restaurant        | 5812 | TST* JOES PIZZA {store}        | US          | joespizzanyc.com |
Golden Dragon         | restaurant        | 5812 | TST* THE GOLDEN DRAGON RESTAURANT | US GB       | - |
Kebab Haus            | restaurant        | 5812 | SUMUP *KEBAB HAUS {CITY}       | DE          | - |
Taqueria El Sol       | restaurant        | 5812 | ZETTLE_*TAQUERIA EL SOL        | US ES       | - | unknown
Sushi Zen             | restaurant        | 5812 | PAYPAL *SUSHI ZEN              | DE FR       | - | unknown
Cafe Luna             | coffee_shop       | 5814 | SUMUP *CAFE LUNA               | DE AT       | - | unknown
Trattoria Da Mario    | restaurant        | 5812 | TRATTORIA DA MARIO {CITY}      | IT DE       | - | unknown
The Red Lion          | bar               | 5813 | THE RED LION PUB               | GB          | - |
Brewdog               | bar               | 5813 | BREWDOG {CITY}                 | GB DE       | brewdog.com |
Augustiner Keller     | bar               | 5813 | AUGUSTINER KELLER              | DE | augustinerkeller.de |
Lieferando            | food_delivery     | 5812 | LIEFERANDO.DE {CITY}           | DE AT | lieferando.de | online
Deliveroo             | food_delivery     | 5812 | DELIVEROO.CO.UK | GB FR IE | deliveroo.co.uk | online
Uber Eats             | food_delivery     | 5812 | UBER *EATS {ref} | DE FR GB US NL | ubereats.com | online
Wolt                  | food_delivery     | 5812 | WOLT {CITY}                    | DE AT       | wolt.com | online
Just Eat              | food_delivery     | 5814 | JUST EAT.CO.UK LTD             | GB IE | just-eat.co.uk | online
## entertainment
Netflix               | streaming_service | 4899 | NETFLIX.COM                    | NL US       | netflix.com | online
Disney+               | streaming_service | 4899 | DISNEY PLUS {n}                | NL US | disneyplus.com | online
Spotify               | music_streaming   | 5815 | SPOTIFY P{ref}                 | SE          | spotify.com | online
YouTube Premium       | streaming_service | 5815 | GOOGLE *YOUTUBE PREMIUM        | IE US       | youtube.com | online
Apple Music           | music_streaming   | 5815 | APPLE.COM/BILL MUSIC           | IE US       | apple.com | online
Steam                 | video_games       | 5816 | STEAMGAMES.COM {n} | US DE | store.steampowered.com | online
PlayStation Network   | video_games       | 5816 | PLAYSTATION NETWORK            | GB US | playstation.com | online
Nintendo eShop        | video_games       | 5816 | NINTENDO ESHOP {ref}           | DE US JP | nintendo.com | online
CinemaxX              | cinema            | 7832 | CINEMAXX {CITY}                | DE          | cinemaxx.de |
Odeon Cinemas         | cinema            | 7832 | ODEON CINEMAS {store}          | GB          | odeon.co.uk |
UGC Cine Cite         | cinema            | 7832 | UGC CINE CITE {CITY}           | FR          | ugc.fr |
Cineworld             | cinema            | 7832 | CINEWORLD {CITY}               | GB          | cineworld.co.uk |
Eventim               | event_tickets     | 7922 | EVENTIM.DE {ref}               | DE AT       | eventim.de | online
Ticketmaster          | event_tickets     | 7922 | TICKETMASTER.CO.UK | GB US NL | ticketmaster.com | online
Eventbrite            | event_tickets     | 7922 | EVENTBRITE/{ref}               | GB US DE | eventbrite.com | online
Europa-Park           | amusement_park    | 7996 | EUROPA-PARK RUST               | DE          | europapark.de |
Pergamonmuseum        | museum            | 7991 | STAATL MUSEEN ZU BERLIN        | DE          | smb.museum |
Lottoland             | gambling          | 7995 | LOTTOLAND.COM {ref}            | GB DE | lottoland.com | online
Tipico                | gambling          | 7995 | TIPICO SPORTWETTEN             | DE AT       | tipico.de | online
## transport
Uber                  | rideshare         | 4121 | UBER *TRIP {ref}               | DE FR GB US NL ES | uber.com |
Bolt                  | rideshare         | 4121 | BOLT.EU/O/{ref}                | DE FR GB NL | bolt.eu |
Lyft                  | rideshare         | 4121 | LYFT *RIDE {ref}               | US          | lyft.com |
FreeNow               | taxi              | 4121 | FREENOW {ref}                  | DE GB IE ES | free-now.com |
Taxi Berlin           | taxi              | 4121 | TAXI BERLIN {n}                | DE          | - | unknown
BVG                   | public_transit    | 4111 | BVG BERLIN TICKET              | DE          | bvg.de |
MVG                   | public_transit    | 4111 | MVG MUENCHEN AUTOMAT {n}       | DE          | mvg.de |
Transport for London  | public_transit    | 4111 | TFL TRAVEL CH                  | GB          | tfl.gov.uk |
RATP                  | public_transit    | 4111 | RATP {CITY}                    | FR          | ratp.fr |
GVB                   | public_transit    | 4111 | GVB {CITY}                     | NL          | gvb.nl |
MTA                   | public_transit    | 4111 | MTA*NYCT PAYGO {CITY}          | US          | mta.info |
Deutsche Bahn         | railway           | 4112 | DB VERTRIEB GMBH               | DE          | bahn.de |
SNCF                  | railway           | 4112 | SNCF INTERNET                  | FR | sncf-connect.com | online
Trainline             | railway           | 4112 | TRAINLINE.COM                  | GB FR | thetrainline.com | online
FlixBus               | bus_line          | 4131 | FLIXBUS {ref}                  | DE FR IT NL | flixbus.com | online
Lime                  | micromobility     | 4121 | LIME*RIDE {n} MIN              | DE FR US NL | li.me |
Share Now             | car_sharing       | 7512 | SHARE NOW {ref}                | DE AT NL    | share-now.com |
APCOA Parking         | parking           | 7523 | APCOA PARKING {CITY}           | DE AT GB    | apcoa.com |
Indigo Parking        | parking           | 7523 | INDIGO PARKING {CITY}          | GB FR       | group-indigo.com |
ATU Auto-Teile-Unger  | auto_service      | 7538 | ATU FILIALE {store}            | DE AT       | atu.de |
## fuel
Shell                 | gas_station       | 5541 | SHELL {store}                  | DE GB NL US FR | shell.com |
BP                    | gas_station       | 5541 | BP CONNECT {store}             | GB DE       | bp.com |
Aral                  | gas_station       | 5541 | ARAL STATION {store}           | DE          | aral.de |
Esso                  | gas_station       | 5542 | ESSO {store} {CITY}            | DE GB FR    | esso.com |
TotalEnergies         | gas_station       | 5541 | TOTALENERGIES {n} {CITY}       | FR DE NL    | totalenergies.com |
JET Tankstelle        | gas_station       | 5541 | JET TANKSTELLE {store}         | DE AT       | jet.de |
OMV                   | gas_station       | 5541 | OMV {store} {CITY}             | AT DE       | omv.com |
Repsol                | gas_station       | 5541 | REPSOL {CITY}                  | ES          | repsol.es |
Eni                   | gas_station       | 5541 | ENI STATION {store}            | IT          | eni.com |
Chevron               | gas_station       | 5542 | CHEVRON {store} {CITY}         | US          | chevron.com |
Circle K              | gas_station       | 5541 | CIRCLE K {store}               | IE US NL    | circlek.com |
Tesla Supercharger    | ev_charging       | 5552 | TESLA SUPERCHARGER {ref}       | DE NL FR US | tesla.com |
Ionity                | ev_charging       | 5552 | IONITY GMBH {ref}              | DE AT       | ionity.eu |
Tankstelle Meier      | gas_station       | 5541 | TANKSTELLE MEIER {CITY}        | DE          | - | unknown
## shopping
Amazon | online_marketplace | 5999 | AMZN Mktp {cc}*{ref} | DE GB FR ES IT NL US | amazon.com | online mixed
eBay                  | online_marketplace | 5999 | EBAY O*{ref} | DE GB US | ebay.com | online mixed
Etsy                  | online_marketplace | 5999 | ETSY.COM - {ref}               | US IE       | etsy.com | online
Zalando               | clothing_store    | 5651 | ZALANDO SE {CITY} | DE AT NL FR | zalando.de | online mixed
H&M                   | clothing_store    | 5651 | H&M {store} {CITY}             | DE FR GB NL ES | hm.com | mixed
Zara                  | clothing_store    | 5651 | ZARA {store} {CITY}            | ES DE FR IT GB | zara.com | mixed
Primark               | clothing_store    | 5651 | PRIMARK {store}                | GB DE IE ES | primark.com |
Uniqlo                | clothing_store    | 5651 | UNIQLO {CITY}                  | JP GB FR DE US | uniqlo.com |
TK Maxx               | department_store  | 5311 | TK MAXX {store}                | GB DE IE AT | tkmaxx.com |
Galeria               | department_store  | 5311 | GALERIA {store} {CITY}         | DE          | galeria.de |
Target                | department_store  | 5311 | TARGET {store} {CITY}          | US          | target.com | mixed
Macy's                | department_store  | 5311 | MACY'S #{store}                | US          | macys.com |
Argos                 | department_store  | 5311 | ARGOS LTD {store}              | GB          | argos.co.uk |
MediaMarkt            | electronics_store | 5732 | MEDIAMARKT {store} | DE AT NL ES IT | mediamarkt.de | mixed
Saturn                | electronics_store | 5732 | SATURN ELECTRO {store}         | DE AT       | saturn.de |
Best Buy              | electronics_store | 5732 | BEST BUY {store}               | US          | bestbuy.com |
Apple Store           | electronics_store | 5732 | APPLE STORE R{n}               | DE GB FR US | apple.com |
IKEA                  | furniture_store   | 5712 | IKEA {store} {CITY}            | DE FR GB NL ES | ikea.com | mixed
Decathlon             | sporting_goods    | 5941 | DECATHLON {store}              | FR DE ES IT | decathlon.com |
Thalia                | bookstore         | 5942 | THALIA BUECHER {store}         | DE AT       | thalia.de |
Waterstones           | bookstore         | 5942 | WATERSTONES {CITY}             | GB          | waterstones.com |
Fressnapf             | pet_store         | 5995 | FRESSNAPF {store}              | DE AT       | fressnapf.de |
Otto                  | online_marketplace | 5964 | OTTO GMBH & CO KG              | DE | otto.de | online mixed
Blumen Lindner        | florist           | 5992 | SUMUP *BLUMEN LINDNER          | DE          | - | unknown
## travel
Lufthansa             | airline           | 3008 | LUFTHANSA {ref}                | DE          | lufthansa.com |
Ryanair               | airline           | 3246 | RYANAIR {ref}                  | IE          | ryanair.com | online
easyJet               | airline           | 3245 | EASYJET {ref}                  | GB          | easyjet.com | online
British Airways       | airline           | 3005 | BRITISH AIRWAYS {ref}          | GB          | britishairways.com |
Air France            | airline           | 3007 | AIR FRANCE {ref}               | FR          | airfrance.fr |
KLM                   | airline           | 3010 | KLM {ref}                      | NL          | klm.com |
Vueling               | airline           | 3299 | VUELING AIRLINES               | ES          | vueling.com | online
Booking.com           | travel_agency     | 4722 | BOOKING.COM HOTEL {CITY}       | NL          | booking.com | mixed
Expedia               | travel_agency     | 4722 | EXPEDIA {ref}                  | US GB DE    | expedia.com | online
Airbnb                | vacation_rental   | 7011 | AIRBNB * {ref}                 | IE US | airbnb.com | online mixed
Marriott              | hotel             | 3509 | MARRIOTT {CITY}                | US GB DE FR | marriott.com |
Hilton                | hotel             | 3504 | HILTON GARDEN INN {CITY}       | US GB DE    | hilton.com |
Premier Inn           | hotel             | 7011 | PREMIER INN {store}            | GB DE       | premierinn.com |
Motel One             | hotel             | 7011 | MOTEL ONE {CITY}               | DE AT GB    | motel-one.com |
Hotel Le Marais       | hotel             | 7011 | HOTEL LE MARAIS {CITY}         | FR          | - | unknown
Sixt                  | car_rental        | 7512 | SIXT AUTOVERMIETUNG {n}        | DE FR ES GB US | sixt.com |
Hertz                 | car_rental        | 3357 | HERTZ RENT-A-CAR {CITY}        | US GB FR    | hertz.com |
Europcar              | car_rental        | 7512 | EUROPCAR {CITY}                | FR DE ES    | europcar.com |
## utilities
Vodafone              | telecom           | 4814 | VODAFONE GMBH {CITY}           | DE GB       | vodafone.de | online
Deutsche Telekom      | telecom           | 4814 | TELEKOM DEUTSCHLAND GMBH       | DE          | telekom.de | online
O2                    | telecom           | 4814 | O2 {cc}                        | DE GB       | o2online.de | online
Orange                | telecom           | 4814 | ORANGE SA {ref}                | FR ES       | orange.fr | online
BT                    | internet_provider | 4814 | BT GROUP PLC                   | GB          | bt.com | online
Comcast               | internet_provider | 4899 | COMCAST CABLE COMM             | US          | xfinity.com | online
Verizon               | telecom           | 4814 | VERIZON WRLS P{ref}            | US          | verizon.com | online
E.ON                  | electric_utility  | 4900 | E.ON ENERGIE DEUTSCHLAND       | DE          | eon.de | online
Vattenfall            | electric_utility  | 4900 | VATTENFALL EUROPE SALES        | DE NL | vattenfall.de | online
EDF                   | electric_utility  | 4900 | EDF ENERGY CUSTOMERS           | FR GB       | edf.fr | online
Octopus Energy        | electric_utility  | 4900 | OCTOPUS ENERGY                 | GB DE | octopus.energy | online
British Gas           | gas_utility       | 4900 | BRITISH GAS                    | GB | britishgas.co.uk | online
Thames Water          | water_utility     | 4900 | THAMES WATER UTILITIES         | GB | thameswater.co.uk | online
Stadtwerke Muenchen   | electric_utility  | 4900 | STADTWERKE MUENCHEN            | DE | swm.de | online unknown
## housing
Vonovia               | rent              | 6513 | VONOVIA SE MIETE {ref}         | DE          | vonovia.de | online
Deutsche Wohnen       | rent              | 6513 | DEUTSCHE WOHNEN SE             | DE | deutsche-wohnen.com | online
Greystar              | property_management | 6513 | GREYSTAR PROPERTY MGMT         | US GB | greystar.com | online
Hausverwaltung Schmidt | property_management | 6513 | HAUSVERWALTUNG SCHMIDT         | DE | - | online unknown
OBI                   | home_improvement  | 5211 | OBI MARKT {store}              | DE AT       | obi.de |
Bauhaus               | home_improvement  | 5200 | BAUHAUS {store} {CITY}         | DE AT       | bauhaus.info |
Hornbach              | home_improvement  | 5200 | HORNBACH {store}               | DE AT NL    | hornbach.de |
B&Q                   | home_improvement  | 5200 | B&Q {store} {CITY}             | GB          | diy.com |
Leroy Merlin          | home_improvement  | 5200 | LEROY MERLIN {CITY}            | FR ES IT    | leroymerlin.fr |
Home Depot            | home_improvement  | 5200 | HOMEDEPOT.COM {store}          | US          | homedepot.com |
Helpling              | home_repair       | 1520 | HELPLING {ref}                 | DE          | helpling.de | online
## health
DocMorris             | pharmacy          | 5912 | DOCMORRIS {ref}                | DE NL | docmorris.de | online
Shop Apotheke         | pharmacy          | 5912 | SHOP-APOTHEKE.COM              | DE | shop-apotheke.com | online
Apotheke Am Markt     | pharmacy          | 5912 | APOTHEKE AM MARKT {CITY}       | DE          | - | unknown
Boots                 | pharmacy          | 5912 | BOOTS {store} {CITY}           | GB IE       | boots.com |
CVS Pharmacy          | pharmacy          | 5912 | CVS/PHARMACY #{store}          | US          | cvs.com |
Pharmacie Centrale    | pharmacy          | 5912 | PHARMACIE CENTRALE {CITY}      | FR          | - |
Praxis Dr. Weber      | medical           | 8011 | PRAXIS DR WEBER                | DE          | - | unknown
Zahnarzt Dr. Klein    | dentist           | 8021 | ZAHNARZTPRAXIS DR KLEIN        | DE          | - | unknown
Doctolib              | medical           | 8099 | DOCTOLIB {ref}                 | FR DE       | doctolib.fr | online
Fielmann              | optician          | 8043 | FIELMANN {store}               | DE AT       | fielmann.de |
Specsavers            | optician          | 8043 | SPECSAVERS OPTICIANS {store}   | GB NL       | specsavers.com |
McFit                 | fitness           | 7997 | MCFIT {CITY} {n}               | DE AT       | mcfit.com | online
Urban Sports Club     | fitness           | 7997 | URBAN SPORTS CLUB | DE FR NL | urbansportsclub.com | online
PureGym               | fitness           | 7997 | PUREGYM LTD                    | GB          | puregym.com | online
## personal_care
Douglas               | cosmetics_store   | 5977 | DOUGLAS {store} {CITY}         | DE AT NL    | douglas.de |
dm-drogerie markt     | drugstore         | 5977 | DM-DROGERIE MARKT {store}      | DE AT       | dm.de |
Rossmann              | drugstore         | 5912 | ROSSMANN {store}               | DE          | rossmann.de |
Sephora               | cosmetics_store   | 5977 | SEPHORA {store} {CITY}         | FR DE ES IT US | sephora.com |
Superdrug             | drugstore         | 5912 | SUPERDRUG {store}              | GB          | superdrug.com |
Toni & Guy            | hair_salon        | 7230 | TONI & GUY {CITY}              | GB DE       | toniandguy.com |
Friseur Schnittpunkt  | hair_salon        | 7230 | SQ *FRISEUR SCHNITTPUNKT       | DE          | - | unknown
Salon Lux             | beauty_salon      | 7230 | SALON LUX HAIR & BEAUTY        | GB DE       | - |
Nail Spa 88           | beauty_salon      | 7230 | NAIL SPA {n}                   | DE FR       | - | unknown
Massage Envy          | spa               | 7298 | MASSAGE ENVY {store}           | US          | massageenvy.com |
Treatwell             | beauty_salon      | 7298 | TREATWELL {ref}                | GB DE NL | treatwell.com | online
## education
Coursera              | online_course     | 8299 | COURSERA {ref}                 | US | coursera.org | online
Udemy                 | online_course     | 8299 | UDEMY ONLINE COURSES           | US IE       | udemy.com | online
Duolingo              | online_course     | 5817 | DUOLINGO                       | US | duolingo.com | online
Babbel                | online_course     | 8299 | BABBEL.COM {ref}               | DE          | babbel.com | online
Berlitz               | language_school   | 8299 | BERLITZ LANGUAGE SCHOOL        | DE US GB    | berlitz.com |
Volkshochschule       | education         | 8299 | VHS {CITY} KURSGEBUEHR         | DE          | vhs.de |
Goethe-Institut       | language_school   | 8299 | GOETHE-INSTITUT {CITY}         | DE FR       | goethe.de |
TU Berlin             | university        | 8220 | TU BERLIN SEMESTERBEITRAG      | DE          | tu.berlin | online
University College London | university        | 8220 | UCL STUDENT FEES               | GB | ucl.ac.uk | online
## services
Deutsche Post         | postal_service    | 9402 | DEUTSCHE POST {store}          | DE          | deutschepost.de |
DHL Paket             | courier           | 4215 | DHL PAKET {ref}                | DE NL AT    | dhl.de |
Royal Mail            | postal_service    | 9402 | ROYAL MAIL {CITY}              | GB          | royalmail.com |
USPS                  | postal_service    | 9402 | USPS PO {store}                | US          | usps.com |
Allianz               | insurance         | 6300 | ALLIANZ VERSICHERUNG {ref}     | DE AT FR    | allianz.de | online
HUK-Coburg            | insurance         | 6300 | HUK-COBURG {ref}               | DE          | huk.de | online
AXA                   | insurance         | 6300 | AXA ASSURANCES {ref}           | FR DE ES    | axa.fr | online
Adobe                 | software_subscription | 5734 | ADOBE *CREATIVE CLOUD          | IE US | adobe.com | online
Dropbox               | software_subscription | 5734 | DROPBOX*{ref}                  | IE US | dropbox.com | online
Microsoft 365         | software_subscription | 5734 | MICROSOFT*365 PERSONAL         | IE US | microsoft.com | online
Google Workspace      | software_subscription | 7399 | GOOGLE *GSUITE {ref} | IE US | workspace.google.com | online
Wash & Go Waescherei  | laundry           | 7211 | WASH & GO WAESCHEREI           | DE          | - | unknown
Dry Clean Express     | laundry           | 7216 | DRY CLEAN EXPRESS              | GB US       | - |
Tierarztpraxis Sonne  | veterinary        | 0742 | TIERARZTPRAXIS SONNE           | DE          | - | unknown
Smartlaw              | legal_services    | 8111 | SMARTLAW {ref}                 | DE          | smartlaw.de | online
H&R Block             | tax_preparation   | 7276 | H&R BLOCK                      | US          | hrblock.com |
## fees
Bank Fee              | bank_fee          | -    | MONTHLY ACCOUNT FEE            | DE          | - | online
Card Fee              | bank_fee          | -    | ANNUAL CARD FEE                | DE          | - | online
FX Fee                | bank_fee          | -    | FOREIGN TRANSACTION FEE        | DE          | - | online
ATM Fee               | bank_fee          | -    | ATM FEE {n}                    | DE GB       | - | online
Finanzamt             | government        | 9311 | FINANZAMT {CITY}               | DE | finanzamt.de | online
Rundfunkbeitrag       | government        | 9399 | RUNDFUNK ARD ZDF DRADIO        | DE | rundfunkbeitrag.de | online
DVLA                  | government        | 9399 | DVLA VEHICLE TAX               | GB          | gov.uk | online
HMRC                  | government        | 9311 | HMRC SELF ASSESSMENT           | GB          | gov.uk | online
## cash
Deutsche Bank ATM     | atm               | 6011 | GELDAUTOMAT DEUTSCHE BANK {CITY} | DE          | deutsche-bank.de |
Sparkasse ATM         | atm               | 6011 | CASH WITHDRAWAL SPARKASSE {CITY} | DE          | sparkasse.de |
Commerzbank ATM       | atm               | 6011 | BARGELDAUSZAHLUNG COMMERZBANK  | DE          | commerzbank.de |
Cardpoint ATM         | atm               | 6011 | CARDPOINT ATM {store}          | DE GB       | cardpoint.de |
NatWest ATM           | atm               | 6011 | LINK ATM NATWEST {CITY}        | GB          | natwest.com |
BNP Paribas ATM       | atm               | 6011 | DAB RETRAIT BNP {store} {CITY} | FR          | bnpparibas.fr |
BBVA ATM              | atm               | 6011 | CAJERO BBVA {CITY}             | ES          | bbva.es |
Euronet ATM           | atm | 6011 | EURONET ATM {store} {CITY} | DE ES IT AT | euronetworldwide.com | unknown
## transfers
PayPal                | money_transfer    | 4829 | PAYPAL *{ref} | DE GB FR US | paypal.com | online mixed
Wise                  | money_transfer    | 4829 | WISE TRANSFER {ref}            | GB DE | wise.com | online mixed
Revolut               | money_transfer    | 6012 | REVOLUT*TOP-UP                 | GB DE       | revolut.com | online
Western Union         | money_transfer    | 4829 | WESTERN UNION {store}          | DE US GB    | westernunion.com |
MoneyGram             | money_transfer    | 4829 | MONEYGRAM {cc} {store}         | US DE       | moneygram.com |
Venmo                 | p2p_payment       | 4829 | VENMO *{ref}                   | US | venmo.com | online mixed
Coinbase              | crypto_exchange   | 6051 | COINBASE.COM                   | IE US | coinbase.com | online
Trade Republic        | investment        | 6211 | TRADE REPUBLIC BANK GMBH       | DE | traderepublic.com | online
Sparplan Uebertrag    | money_transfer    | -    | TRANSFER TO SAVINGS {n}        | DE          | - | online unknown
## income
Acme GmbH             | payroll           | -    | GEHALT ACME GMBH {ref}         | DE | - | online in unknown
Globex Ltd            | payroll           | -    | SALARY GLOBEX LTD {ref}        | GB | - | online in unknown
Gusto Payroll         | payroll           | -    | DIRECT DEP GUSTO PAYROLL       | US | gusto.com | online in
ADP Payroll           | payroll           | -    | ADP PAYROLL DEPOSIT            | US DE       | adp.com | online in
Bundesagentur fuer Arbeit | government_benefit | -    | BUNDESAGENTUR FUER ARBEIT | DE | arbeitsagentur.de | online in
Deutsche Rentenversicherung | pension | - | DEUTSCHE RENTENVERSICHERUNG | DE | drv.de | online in
## other
Red Cross             | charity           | 8398 | RED CROSS DONATION             | DE GB US | redcross.org | online
UNICEF                | charity           | 8398 | UNICEF {ref}                   | DE FR       | unicef.org | online
GoFundMe              | charity           | 8398 | GOFUNDME {ref}                 | US GB DE | gofundme.com | online
Oxfam                 | charity           | 8398 | OXFAM GB DONATION              | GB | oxfam.org.uk | online
St. Marien Kirche     | religious_organization | 8661 | KIRCHE ST MARIEN SPENDE        | DE          | - | unknown
Kiosk am Bahnhof      | convenience_store | -    | POS PURCHASE {n}               | DE          | - | unknown
"""
