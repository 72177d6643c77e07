"""Country names (English and German) and the larger cities of Germany, Austria and Switzerland.

German text has no NER model, so without a list no place in it would be found at all; in English text the list
backs up the small model, which misses countries and cities outside running prose (address blocks, lists).
Names that are also common first names or words (Chad, Jordan, Georgia, Essen, Hamm, Konstanz, …) are left out.
Matched case-sensitively as whole words, plus their all-capitals form (address labels). A place right after a
court or institution word ("OLG Köln", "Landgericht Paderborn", "Universität Wien", "FC Bayern München") names
that organisation, not a place someone is in, and is skipped.
"""

from __future__ import annotations

import faker.providers.address.de_AT
import faker.providers.address.de_CH
import faker.providers.address.de_DE
from spacy.lang.de.stop_words import STOP_WORDS as DE_STOP_WORDS
from spacy.lang.en.stop_words import STOP_WORDS as EN_STOP_WORDS

from proxy.detection.recognizers import name_lists
from proxy.detection.recognizers.base import RecognizerSpec, terms_pattern

COUNTRIES_EN = (*"""
Afghanistan Albania Algeria Andorra Angola Argentina Armenia Australia Austria Azerbaijan Bahamas Bahrain
Bangladesh Barbados Belarus Belgium Belize Benin Bhutan Bolivia Bosnia Botswana Brazil Brunei Bulgaria Burkina Burundi
Cambodia Cameroon Canada Chile China Colombia Comoros Congo Croatia Cuba Cyprus Czechia Denmark Djibouti Dominica
Ecuador Egypt Eritrea Estonia Eswatini Ethiopia Fiji Finland France Gabon Gambia Germany Ghana Greece Greenland
Grenada Guatemala Guinea Guyana Haiti Honduras Hungary Iceland India Indonesia Iran Iraq Ireland Israel Italy Jamaica
Japan Kazakhstan Kenya Kiribati Kosovo Kuwait Kyrgyzstan Laos Latvia Lebanon Lesotho Liberia Libya Liechtenstein
Lithuania Luxembourg Madagascar Malawi Malaysia Maldives Mali Malta Mauritania Mauritius Mexico Micronesia Moldova
Monaco Mongolia Montenegro Morocco Mozambique Myanmar Namibia Nauru Nepal Netherlands Nicaragua Niger Nigeria
Norway Oman Pakistan Palau Palestine Panama Paraguay Peru Philippines Poland Portugal Qatar Romania Russia Rwanda
Samoa Senegal Serbia Seychelles Singapore Slovakia Slovenia Somalia Spain Sudan Suriname Sweden Switzerland Syria
Taiwan Tajikistan Tanzania Thailand Togo Tonga Tunisia Turkmenistan Tuvalu Uganda Ukraine Uruguay Uzbekistan Vanuatu
Venezuela Vietnam Yemen Zambia Zimbabwe""".split(),
    "United States", "United Kingdom", "United Arab Emirates", "South Africa", "South Korea", "North Korea",
    "New Zealand", "Saudi Arabia", "Sri Lanka", "Costa Rica", "El Salvador", "Puerto Rico", "Czech Republic",
    "Dominican Republic", "Ivory Coast", "Sierra Leone", "North Macedonia", "Papua New Guinea", "Hong Kong",
    "Great Britain", "England", "Scotland", "Wales", "Northern Ireland", "Faroe Islands")

COUNTRIES_DE = (*"""
Ägypten Albanien Algerien Argentinien Armenien Aserbaidschan Äthiopien Australien Belgien Bolivien Brasilien
Bulgarien Dänemark Deutschland Estland Finnland Frankreich Griechenland Grönland Indien Indonesien Irland Island
Italien Japan Jemen Jordanien Kambodscha Kamerun Kanada Kasachstan Katar Kenia Kolumbien Kroatien Kuba Lettland
Libanon Libyen Litauen Luxemburg Malaysia Marokko Mexiko Moldawien Mongolei Montenegro Neuseeland Niederlande
Nordkorea Norwegen Österreich Polen Rumänien Russland Sambia Saudi-Arabien Schweden Schweiz Serbien Simbabwe
Singapur Slowakei Slowenien Spanien Südafrika Südkorea Syrien Tadschikistan Tansania Thailand Tschechien Tunesien
Türkei Ukraine Ungarn Usbekistan Venezuela Vietnam Weißrussland Zypern""".split(),
    "Vereinigte Staaten", "Vereinigtes Königreich", "Vereinigte Arabische Emirate", "Großbritannien")

CITIES_DACH = (*"""
Berlin Hamburg München Köln Frankfurt Stuttgart Düsseldorf Leipzig Dortmund Bremen Dresden Hannover
Nürnberg Duisburg Bochum Wuppertal Bielefeld Bonn Münster Mannheim Karlsruhe Augsburg Wiesbaden Mönchengladbach
Gelsenkirchen Aachen Braunschweig Kiel Chemnitz Magdeburg Freiburg Krefeld Mainz Lübeck Erfurt Oberhausen Rostock
Kassel Hagen Potsdam Saarbrücken Ludwigshafen Oldenburg Osnabrück Leverkusen Heidelberg Darmstadt Solingen Regensburg
Herne Paderborn Ingolstadt Würzburg Wolfsburg Ulm Heilbronn Pforzheim Göttingen Bottrop Reutlingen Koblenz
Bremerhaven Recklinghausen Erlangen Bergisch Remscheid Jena Trier Salzgitter Moers Siegen Hildesheim Cottbus
Gütersloh Kaiserslautern Schwerin Zwickau Gera Iserlohn Witten Hanau Esslingen Flensburg Gießen Tübingen
Wien Graz Linz Salzburg Innsbruck Klagenfurt Villach Bregenz Zürich Genf Basel Bern Lausanne Winterthur Luzern
Lugano Biel""".split(), "Frankfurt am Main", "Freiburg im Breisgau", "Halle (Saale)", "St. Gallen",
                          "Mülheim an der Ruhr", "Offenbach am Main")

CITIES_WORLD = (*"""
London Paris Madrid Barcelona Rome Milan Amsterdam Brussels Vienna Prague Warsaw Budapest Copenhagen
Stockholm Oslo Helsinki Dublin Lisbon Athens Istanbul Moscow Kyiv Kiev Zurich Geneva Munich Cologne Toronto Montreal
Vancouver Chicago Boston Seattle Houston Dallas Atlanta Miami Philadelphia Tokyo Beijing Shanghai Mumbai Delhi
Bangalore Singapore Sydney Melbourne Dubai Cairo Nairobi Lagos Johannesburg""".split(),
    "New York", "Los Angeles", "San Francisco", "Washington, D.C.", "Mexico City", "Buenos Aires", "Rio de Janeiro",
    "São Paulo", "Hong Kong", "Tel Aviv", "Cape Town")


# Every place name the lists know (Faker's places of every locale, our countries and cities): the test of "is this a
# town" wherever a rule needs one. Faker's lists hold towns that are also English or German stop words ("Eine", "My",
# "Man", "Tel", "Waren"); those are left out, as the words are far more common than the towns.
_STOP_WORDS = frozenset({*EN_STOP_WORDS, *DE_STOP_WORDS})
KNOWN_PLACES = frozenset(p for p in {*name_lists.PLACE_NAMES, *COUNTRIES_EN, *CITIES_WORLD, *CITIES_DACH}
                         if p.lower() not in _STOP_WORDS)


def _terms() -> tuple[str, ...]:
    names = {*COUNTRIES_EN, *COUNTRIES_DE, *CITIES_DACH, *CITIES_WORLD}
    return tuple(sorted(names | {n.upper() for n in names if len(n) > 3}))


_INSTITUTIONS = (r"(?:Land|Amts|Oberlandes|Verwaltungs|Oberverwaltungs|Sozial|Landessozial|Finanz|Arbeits"
                 r"|Landesarbeits|Kammer)gerichts?|\w*[Gg]erichtshofs?|LG|AG|OLG|KG|VG|OVG|SG|LSG|FG|LAG|ArbG|BAG"
                 r"|Staatsanwaltschaft|Universität|Universitat|University|Universidad|Hochschule|FC|SV|VfB|VfL"
                 r"|Bayern|Land|Landes|Länder|Freistaat|Freistaats|Freistaates|Stadt|Hansestadt|Bundesrepublik|Republik")


# Not right after a court, a university, a club or a state word ("Landgericht Berlin", "FC Bayern München").
_BEFORE_PLACE = rf"(?<![\w-])(?<!\b(?:{_INSTITUTIONS})[ ]+(?:\w+[ ]+)?)"


SPEC = RecognizerSpec(
    name="PlaceNameRecognizer",
    entity_type="LOCATION",
    # Below spaCy's 0.85, so where the model saw a longer place ("Frankfurt Airport") its span wins.
    patterns=(terms_pattern("place name", _terms(), 0.6, before=_BEFORE_PLACE, after=r"(?![\w-])"),),
    case_sensitive=True,
)


def _german_towns() -> tuple[str, ...]:
    """Faker's towns and states of Germany, Austria and Switzerland that the lists above lack."""
    towns = {t for p in (faker.providers.address.de_DE.Provider, faker.providers.address.de_AT.Provider,
                         faker.providers.address.de_CH.Provider)
             for field in ("cities", "states") for t in vars(p).get(field, ())}
    return tuple(sorted(sorted(towns - set(_terms()) - _AMBIGUOUS_TOWNS), key=len, reverse=True))


# Towns that are also German words or family names ("Aue" is a meadow, "Waren" goods, "Zug" a train).
_AMBIGUOUS_TOWNS = frozenset("""Aue Baden Bogen Brand Buchs Bulle Burg Forst Gland Haag Jessen Lancy Mank Maur Meilen
Muri Norden Perg Regen Risch Roth Rust Sitten Trieben Wald Waren Wil Zug""".split())

GERMAN_SPEC = RecognizerSpec(
    name="GermanTownRecognizer",
    entity_type="LOCATION",
    patterns=(terms_pattern("german town", _german_towns(), 0.6, before=_BEFORE_PLACE, after=r"(?![\w-])"),),
    languages=("de",),
    case_sensitive=True,
)
