"""The crowd's raw material: given and family names, places, streets, employers, job
titles and time zones per country. Invented or common; no real person is meant.
"""

from __future__ import annotations

from devstack.demo_group.identifiers import words

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "SE": words(
        "Anna, Maria, Elin, Sara, Emma, Ida, Linnéa, Åsa, Märta, Sofia, Frida, Maja, Ebba, Elsa, Ingrid, "
        "Malin, Helena, Erik, Lars, Anders, Per, Nils, Björn, Gösta, Örjan, Mikael, Fredrik, Oskar, "
        "Viktor, Henrik, Magnus, Jonas, Tobias, Måns, Sören, Agnes"
    ),
    "GB": words(
        "Oliver, George, Harry, Jack, James, William, Thomas, Samuel, Daniel, Matthew, Amelia, Olivia, "
        "Isla, Emily, Sophie, Charlotte, Grace, Lucy, Hannah, Chloé, Zoë, Siobhán, Niamh, Rhys, Gareth, "
        "Eilidh, Priya, Aaron"
    ),
    "DK": words(
        "Mette, Sofie, Freja, Ida, Karen, Lærke, Søren, Mads, Rasmus, Jørgen, Frederik, Mikkel, Anders, "
        "Niels, Kasper, Birgitte"
    ),
    "NO": words(
        "Ingrid, Kari, Solveig, Ragnhild, Bjørn, Ola, Håkon, Øystein, Sigrid, Eirik, Torbjørn, Marte"
    ),
    "NL": words(
        "Sanne, Lotte, Daan, Sem, Lieke, Bram, Thijs, Femke, Anouk, Jeroen, Marloes, Joost, Maarten, "
        "Eline, Floor, Ruud, Renée"
    ),
    "DE": words(
        "Jürgen, Lukas, Jonas, Leon, Felix, Maximilian, Paul, Anna, Lena, Hannah, Marie, Sophie, Mia, "
        "Katharina, Jörg, Uwe, Sabine, Günther"
    ),
}
LAST_NAMES: dict[str, tuple[str, ...]] = {
    "SE": words(
        "Andersson, Johansson, Karlsson, Nilsson, Eriksson, Larsson, Olsson, Persson, Svensson, "
        "Gustafsson, Pettersson, Jonsson, Lindberg, Lindström, Åberg, Öberg, Sjögren, Bäckström, Nyström, "
        "Lövgren, Håkansson, Ström, Wallén, Engström, Sandström, Holmqvist, Dahlén, Fröberg"
    ),
    "GB": words(
        "Smith, Jones, Taylor, Brown, Williams, Wilson, Johnson, Davies, Patel, Wright, Walker, Robinson, "
        "Thompson, White, Hughes, Edwards, Green, Hall, Wood, Harris, Khan, O'Brien, Murphy, MacLeod"
    ),
    "DK": words(
        "Jensen, Nielsen, Hansen, Pedersen, Andersen, Christensen, Larsen, Sørensen, Rasmussen, "
        "Jørgensen, Petersen, Madsen, Kristensen, Møller, Østergaard, Kjær, Bødker"
    ),
    "NO": words(
        "Hansen, Johansen, Olsen, Larsen, Berg, Haugen, Bakke, Solberg, Bråten, Strand, Lie, Dahl, "
        "Ødegård, Sæther"
    ),
    "NL": words(
        "de Jong, Jansen, de Vries, van den Berg, van Dijk, Bakker, Visser, Smit, Meijer, de Boer, "
        "Mulder, de Groot, Bos, Vos, Peters, Hendriks, van Leeuwen, Dekker"
    ),
    "DE": words(
        "Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schulz, Hoffmann, Schröder, "
        "Köhler, Krüger, Weiß, Groß, Zimmermann, Braun, Hartmann"
    ),
}
COUNTRIES = ("SE", "GB", "DK", "NO", "NL", "DE")
COUNTRY_WEIGHTS = (32, 30, 12, 6, 12, 8)
PLACES: dict[str, tuple[tuple[str, str, float, float], ...]] = {
    # country: (city, postcode prefix, latitude, longitude)
    "SE": (
        ("Stockholm", "11", 59.3293, 18.0686),
        ("Göteborg", "41", 57.7089, 11.9746),
        ("Malmö", "21", 55.6050, 13.0038),
        ("Uppsala", "75", 59.8586, 17.6389),
        ("Västerås", "72", 59.6099, 16.5448),
        ("Örebro", "70", 59.2753, 15.2134),
        ("Linköping", "58", 58.4108, 15.6214),
        ("Umeå", "90", 63.8258, 20.2630),
    ),
    "GB": (
        ("London", "EC1", 51.5074, -0.1278),
        ("Lincoln", "LN6", 53.2307, -0.5406),
        ("Leeds", "LS1", 53.8008, -1.5491),
        ("Manchester", "M1", 53.4808, -2.2426),
        ("Birmingham", "B1", 52.4862, -1.8904),
        ("Bristol", "BS1", 51.4545, -2.5879),
        ("Edinburgh", "EH1", 55.9533, -3.1883),
        ("Glasgow", "G1", 55.8642, -4.2518),
    ),
    "DK": (
        ("København", "1", 55.6761, 12.5683),
        ("Aarhus", "8", 56.1629, 10.2039),
        ("Odense", "5", 55.4038, 10.4024),
        ("Aalborg", "9", 57.0488, 9.9217),
    ),
    "NO": (
        ("Oslo", "0", 59.9139, 10.7522),
        ("Bergen", "5", 60.3913, 5.3221),
        ("Trondheim", "7", 63.4305, 10.3951),
        ("Stavanger", "4", 58.9700, 5.7331),
    ),
    "NL": (
        ("Amsterdam", "10", 52.3676, 4.9041),
        ("Rotterdam", "30", 51.9244, 4.4777),
        ("Utrecht", "35", 52.0907, 5.1214),
        ("Eindhoven", "56", 51.4416, 5.4697),
    ),
    "DE": (
        ("Berlin", "10", 52.5200, 13.4050),
        ("Hamburg", "20", 53.5511, 9.9937),
        ("München", "80", 48.1351, 11.5820),
        ("Köln", "50", 50.9375, 6.9603),
    ),
}
STREETS: dict[str, tuple[str, ...]] = {
    "SE": words(
        "Storgatan, Drottninggatan, Kungsgatan, Sveavägen, Östra Hamngatan, Järnvägsgatan, Södra Vägen, "
        "Industrivägen"
    ),
    "GB": words("High Street, Station Road, Church Lane, Victoria Road, Mill Lane, Park Avenue, Whisby Way"),
    "DK": words("Vesterbrogade, Nørregade, Strandvejen, Østerbrogade, Industrivej"),
    "NO": words("Storgata, Kirkeveien, Bygdøy allé, Industriveien"),
    "NL": words("Kerkstraat, Dorpsstraat, Stationsweg, Keizersgracht, Industrieweg"),
    "DE": words("Hauptstraße, Bahnhofstraße, Schillerstraße, Goethestraße, Industriestraße"),
}
EMPLOYER_SUFFIXES: dict[str, tuple[str, ...]] = {
    "SE": words("Bygg AB, El & VVS AB, Fastighetsservice AB, Maskin AB, Redovisning AB, Grossist AB"),
    "GB": words(
        "Joinery Ltd, Electrical Services Ltd, Wholesale Ltd, Engineering Ltd, Building Supplies Ltd, "
        "Facilities Ltd"
    ),
    "DK": words("Tømrer ApS, VVS A/S, Engros ApS, El-service ApS"),
    "NO": words("Elektro AS, Bygg AS, Rør AS"),
    "NL": words("Installatietechniek B.V., Bouw B.V., Groothandel B.V."),
    "DE": words("Haustechnik GmbH, Maschinenbau GmbH, Elektro GmbH, Großhandel GmbH"),
}
INDUSTRIES = words(
    "construction, electrical contracting, plumbing and heating, wholesale distribution, manufacturing, "
    "field service, property services, building supplies, engineering"
)
JOB_TITLES: dict[str, tuple[str, ...]] = {
    "sv": words(
        "VD, Ekonomichef, Kontorschef, Servicechef, IT-ansvarig, Inköpare, Servicetekniker, Projektledare"
    ),
    "en": words(
        "Managing Director, Finance Manager, Office Manager, Service Manager, IT Manager, "
        "Purchasing Manager, Field Technician, Owner"
    ),
}
TIMEZONES = {
    "SE": "Europe/Stockholm",
    "GB": "Europe/London",
    "DK": "Europe/Copenhagen",
    "NO": "Europe/Oslo",
    "NL": "Europe/Amsterdam",
    "DE": "Europe/Berlin",
}
DOMAINS = ("example.com", "example.org", "example.net")
