"""Airline tickets: "UNITED 0162345678", "DELTA AIR 0062345678901", "AMERICAN AIR0012345678901".

Airlines bill a ticket with their name and the ticket number, whose first three digits are the
airline's IATA accounting code. Several airline names are ordinary words that cannot be brand
keywords ("united", "delta", "american", "frontier", "spirit"), so the name alone says nothing;
the name *followed by a number starting with that airline's code* says "air ticket".

Only codes that identify one airline are listed; a wrong or missing code only means the rule
does not fire (the MCC, when there is one, already says travel for 3000–3299 and 4511).
"""

from __future__ import annotations

import re

# First word of the airline's descriptor (normalised) → its IATA accounting code(s).
AIRLINE_CODES: dict[str, frozenset[str]] = {
    name: frozenset(codes.split()) for name, codes in {
        "american": "001", "aa": "001", "delta": "006", "united": "016", "ual": "016",
        "air": "014 057 098 999 086",  # Air Canada, Air France, Air India, Air China, Air NZ
        "alaska": "027", "southwest": "526", "jetblue": "279", "spirit": "487",
        "frontier": "422", "hawaiian": "173", "westjet": "838", "aeromexico": "139",
        "british": "125", "ba": "125", "lufthansa": "220", "klm": "074", "iberia": "075",
        "swiss": "724", "austrian": "257", "sas": "117", "scandinavian": "117", "finnair": "105",
        "tap": "047", "lot": "080", "aer": "053", "brussels": "082", "ita": "055",
        "alitalia": "055", "turkish": "235", "emirates": "176", "qatar": "157", "etihad": "607",
        "qantas": "081", "singapore": "618", "cathay": "160", "jal": "131", "japan": "131",
        "ana": "205", "korean": "180", "asiana": "988", "eva": "695",
        "china": "297 781 784", "thai": "217", "malaysia": "232", "latam": "045 957",
        "avianca": "134", "copa": "230", "ethiopian": "071", "egyptair": "077", "saudia": "065",
    }.items()
}

# A ticket number: 10 to 14 digits not glued to other digits ("AIR0012345678901" counts).
_TICKET_NUMBER = re.compile(r"(?<![0-9])([0-9]{3})[0-9]{7,11}(?![0-9])")


def is_airline_ticket(words: list[str]) -> bool:
    """True when the first of the normalised `words` names an airline and a later number starts
    with that airline's IATA code."""
    if len(words) < 2 or words[0] not in AIRLINE_CODES:
        return False
    codes = AIRLINE_CODES[words[0]]
    return any(match.group(1) in codes for word in words[1:] for match in _TICKET_NUMBER.finditer(word))
