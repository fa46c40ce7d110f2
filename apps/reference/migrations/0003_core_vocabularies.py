"""Built-in terms: enforcement areas, commodity categories, detection methods, selection bases,
concealment methods, transport modes, conveyance types, location types, directions and units.

Codes are stable (reports and partners refer to them); labels are English; the partner-code
columns stay empty until the partners' code lists are known.
"""

from decimal import Decimal

from django.db import migrations

from apps.reference.migrations._terms import upsert_terms

ENFORCEMENT_AREAS = [
    {"code": "CULTURAL_HERITAGE", "label": "Cultural heritage"},
    {"code": "DRUGS", "label": "Drugs"},
    {"code": "ENVIRONMENT", "label": "Environment"},
    {"code": "IPR_HEALTH_SAFETY", "label": "IPR and health & safety"},
    {"code": "REVENUE", "label": "Revenue"},
    {"code": "SECURITY", "label": "Security"},
]

COMMODITY_CATEGORIES = [
    {"code": "DRUGS", "label": "Drugs", "enforcement_area": "DRUGS"},
    {"code": "PRECURSORS", "label": "Precursors", "enforcement_area": "DRUGS"},
    {"code": "TOBACCO", "label": "Tobacco", "enforcement_area": "REVENUE"},
    {"code": "ALCOHOL", "label": "Alcohol", "enforcement_area": "REVENUE"},
    {"code": "OTHER_REVENUE", "label": "Other revenue goods", "enforcement_area": "REVENUE"},
    {"code": "IPR", "label": "IPR", "enforcement_area": "IPR_HEALTH_SAFETY"},
    {"code": "MEDICINES", "label": "Medicines", "enforcement_area": "IPR_HEALTH_SAFETY"},
    {"code": "CITES", "label": "CITES / wildlife", "enforcement_area": "ENVIRONMENT"},
    {"code": "OTHER_ENVIRONMENT", "label": "Other environment", "enforcement_area": "ENVIRONMENT"},
    {"code": "WEAPONS", "label": "Weapons and ammunition", "enforcement_area": "SECURITY"},
    {"code": "EXPLOSIVES", "label": "Explosives and strategic goods", "enforcement_area": "SECURITY"},
    {"code": "CASH", "label": "Cash", "enforcement_area": "SECURITY"},
    {"code": "CULTURAL_GOODS", "label": "Cultural goods", "enforcement_area": "CULTURAL_HERITAGE"},
]

DETECTION_METHODS = [
    {"code": "XRAY", "label": "X-ray / scanner"},
    {"code": "SNIFFER_DOG", "label": "Sniffer dog"},
    {"code": "PHYSICAL", "label": "Physical examination"},
    {"code": "DOCUMENT_CHECK", "label": "Document check"},
    {"code": "RISK_PROFILING", "label": "Risk profiling"},
    {"code": "INTELLIGENCE", "label": "Intelligence"},
    {"code": "RANDOM", "label": "Random control"},
    {"code": "RADIATION", "label": "Radiation detector"},
    {"code": "TRACE_DETECTION", "label": "Trace detector (ion mobility spectrometry)"},
    {"code": "BODY_SCANNER", "label": "Body scanner"},
    {"code": "DENSITY_METER", "label": "Density meter"},
    {"code": "ENDOSCOPE", "label": "Endoscope / fibrescope"},
    {"code": "BEHAVIOUR", "label": "Behavioural analysis"},
    {"code": "TIP_OFF", "label": "Tip-off"},
    {"code": "OTHER", "label": "Other detection method"},
]

SELECTION_BASES = [
    {"code": "RISK_PROFILE", "label": "Risk profile / targeting"},
    {"code": "ADVANCE_INFORMATION", "label": "Advance cargo or passenger information"},
    {"code": "INTELLIGENCE", "label": "Intelligence"},
    {"code": "TIP_OFF", "label": "Tip-off"},
    {"code": "MUTUAL_ASSISTANCE", "label": "Mutual assistance request"},
    {"code": "JOINT_OPERATION", "label": "Joint operation"},
    {"code": "OFFICER_INITIATIVE", "label": "Officer's initiative"},
    {"code": "RANDOM", "label": "Random selection"},
    {"code": "OTHER", "label": "Other selection basis"},
]

CONCEALMENT_GROUPS = [
    {"code": "IN_CONVEYANCE", "label": "In conveyance"},
    {"code": "ON_PERSON", "label": "On/in person"},
    {"code": "IN_GOODS", "label": "In goods"},
    {"code": "IN_BAGGAGE", "label": "In baggage"},
    {"code": "POSTAL", "label": "Postal/courier"},
    {"code": "NOT_CONCEALED", "label": "Not concealed"},
]

CONCEALMENT_METHODS = [
    {"code": "CONV_NATURAL_VOID", "label": "Natural void of the conveyance", "parent": "IN_CONVEYANCE"},
    {"code": "CONV_FALSE_COMPARTMENT", "label": "False compartment / false bottom", "parent": "IN_CONVEYANCE"},
    {"code": "CONV_FUEL_TANK", "label": "Fuel tank", "parent": "IN_CONVEYANCE"},
    {"code": "CONV_TYRES", "label": "Tyres / spare wheel", "parent": "IN_CONVEYANCE"},
    {"code": "CONV_CONTAINER", "label": "Container structure (floor, walls, reefer unit)", "parent": "IN_CONVEYANCE"},
    {"code": "CONV_HULL", "label": "Hull, sea chest or parasitic attachment", "parent": "IN_CONVEYANCE"},
    {"code": "CONV_CREW_AREA", "label": "Crew or passenger areas", "parent": "IN_CONVEYANCE"},
    {"code": "PERSON_BODY", "label": "Body concealment (strapped to the body)", "parent": "ON_PERSON"},
    {"code": "PERSON_CLOTHING", "label": "In clothing or footwear", "parent": "ON_PERSON"},
    {"code": "PERSON_SWALLOWED", "label": "Swallowed", "parent": "ON_PERSON"},
    {"code": "PERSON_INSERTED", "label": "Inserted in a body cavity", "parent": "ON_PERSON"},
    {"code": "GOODS_MIXED", "label": "Mixed in legitimate goods", "parent": "IN_GOODS"},
    {"code": "GOODS_INSIDE", "label": "Inside goods (hollowed or machined)", "parent": "IN_GOODS"},
    {"code": "GOODS_IMPREGNATED", "label": "Dissolved in or impregnated into goods", "parent": "IN_GOODS"},
    {"code": "GOODS_PACKAGING", "label": "In packaging or pallets", "parent": "IN_GOODS"},
    {"code": "GOODS_MISDECLARED", "label": "Misdeclared as other goods", "parent": "IN_GOODS"},
    {"code": "BAG_FALSE_BOTTOM", "label": "False bottom or sides of baggage", "parent": "IN_BAGGAGE"},
    {"code": "BAG_AMONG_CONTENTS", "label": "Among personal belongings", "parent": "IN_BAGGAGE"},
    {"code": "BAG_INSIDE_ITEMS", "label": "Inside items carried in baggage", "parent": "IN_BAGGAGE"},
    {"code": "BAG_RIP_ON", "label": "Rip-on / rip-off (unaccompanied baggage)", "parent": "IN_BAGGAGE"},
    {"code": "POST_LETTER", "label": "In a letter or flat", "parent": "POSTAL"},
    {"code": "POST_PARCEL", "label": "In a parcel", "parent": "POSTAL"},
    {"code": "POST_EXPRESS", "label": "In an express courier consignment", "parent": "POSTAL"},
    {"code": "POST_INSIDE_ITEMS", "label": "Inside items sent by post or courier", "parent": "POSTAL"},
]

# UN/ECE Recommendation 19, codes for modes of transport.
TRANSPORT_MODES = [
    {"code": "0", "label": "Transport mode not specified"},
    {"code": "1", "label": "Maritime transport"},
    {"code": "2", "label": "Rail transport"},
    {"code": "3", "label": "Road transport"},
    {"code": "4", "label": "Air transport"},
    {"code": "5", "label": "Mail"},
    {"code": "6", "label": "Multimodal transport"},
    {"code": "7", "label": "Fixed transport installations"},
    {"code": "8", "label": "Inland water transport"},
    {"code": "9", "label": "Transport mode not applicable"},
]

CONVEYANCE_TYPES = [
    {"code": "CONTAINER_VESSEL", "label": "Container vessel", "transport_mode": "1"},
    {"code": "CARGO_VESSEL", "label": "General cargo or bulk vessel", "transport_mode": "1"},
    {"code": "TANKER", "label": "Tanker", "transport_mode": "1"},
    {"code": "FERRY", "label": "Passenger vessel / ferry", "transport_mode": "1"},
    {"code": "FISHING_VESSEL", "label": "Fishing vessel", "transport_mode": "1"},
    {"code": "PLEASURE_CRAFT", "label": "Pleasure craft / yacht", "transport_mode": "1"},
    {"code": "SPEEDBOAT", "label": "Speedboat", "transport_mode": "1"},
    {"code": "SEMI_SUBMERSIBLE", "label": "Semi-submersible", "transport_mode": "1"},
    {"code": "FREIGHT_TRAIN", "label": "Freight train", "transport_mode": "2"},
    {"code": "PASSENGER_TRAIN", "label": "Passenger train", "transport_mode": "2"},
    {"code": "TRUCK", "label": "Truck / lorry", "transport_mode": "3"},
    {"code": "VAN", "label": "Van", "transport_mode": "3"},
    {"code": "CAR", "label": "Passenger car", "transport_mode": "3"},
    {"code": "BUS", "label": "Bus / coach", "transport_mode": "3"},
    {"code": "MOTORCYCLE", "label": "Motorcycle", "transport_mode": "3"},
    {"code": "PASSENGER_AIRCRAFT", "label": "Passenger aircraft", "transport_mode": "4"},
    {"code": "CARGO_AIRCRAFT", "label": "Cargo aircraft", "transport_mode": "4"},
    {"code": "PRIVATE_AIRCRAFT", "label": "Private / general aviation aircraft", "transport_mode": "4"},
    {"code": "DRONE", "label": "Drone", "transport_mode": "4"},
    {"code": "POSTAL_ITEM", "label": "Postal item", "transport_mode": "5"},
    {"code": "EXPRESS_CONSIGNMENT", "label": "Express courier consignment", "transport_mode": "5"},
    {"code": "PIPELINE", "label": "Pipeline", "transport_mode": "7"},
    {"code": "INLAND_VESSEL", "label": "Inland waterway vessel / barge", "transport_mode": "8"},
    {"code": "PEDESTRIAN", "label": "Pedestrian", "transport_mode": "9"},
]

LOCATION_TYPES = [
    {"code": "SEAPORT", "label": "Seaport"},
    {"code": "AIRPORT", "label": "Airport"},
    {"code": "LAND_BORDER", "label": "Land border crossing point"},
    {"code": "RAIL_BORDER", "label": "Rail border crossing point"},
    {"code": "GREEN_BORDER", "label": "Green border (between crossing points)"},
    {"code": "POSTAL_CENTRE", "label": "Postal or courier centre"},
    {"code": "INLAND_OFFICE", "label": "Inland customs office"},
    {"code": "INLAND_MOBILE", "label": "Inland (mobile unit)"},
    {"code": "FREE_ZONE", "label": "Free zone or customs warehouse"},
    {"code": "RIVER_PORT", "label": "River port"},
    {"code": "AT_SEA", "label": "At sea"},
    {"code": "PREMISES", "label": "Company premises (post-clearance control)"},
    {"code": "OTHER", "label": "Other location"},
]

DIRECTIONS = [
    {"code": "IMPORT", "label": "Import"},
    {"code": "EXPORT", "label": "Export"},
    {"code": "TRANSIT", "label": "Transit"},
    {"code": "TRANSHIPMENT", "label": "Transhipment"},
    {"code": "DOMESTIC", "label": "Domestic"},
    {"code": "UNKNOWN", "label": "Unknown"},
]

# UN/ECE Recommendation 20 codes (labels are the Recommendation's names). ``factor`` converts a
# quantity to kg (mass), litres (volume), pieces (count) or sticks; "other" units are not normalised.
UNITS = [
    {"code": "KGM", "label": "kilogram", "symbol": "kg", "dimension": "mass", "factor": Decimal("1")},
    {"code": "GRM", "label": "gram", "symbol": "g", "dimension": "mass", "factor": Decimal("0.001")},
    {"code": "MGM", "label": "milligram", "symbol": "mg", "dimension": "mass", "factor": Decimal("0.000001")},
    {"code": "TNE", "label": "tonne (metric ton)", "symbol": "t", "dimension": "mass", "factor": Decimal("1000")},
    {"code": "CTM", "label": "carat, metric", "symbol": "ct", "dimension": "mass", "factor": Decimal("0.0002")},
    {"code": "LTR", "label": "litre", "symbol": "l", "dimension": "volume", "factor": Decimal("1")},
    {"code": "MLT", "label": "millilitre", "symbol": "ml", "dimension": "volume", "factor": Decimal("0.001")},
    {"code": "CLT", "label": "centilitre", "symbol": "cl", "dimension": "volume", "factor": Decimal("0.01")},
    {"code": "DLT", "label": "decilitre", "symbol": "dl", "dimension": "volume", "factor": Decimal("0.1")},
    {"code": "HLT", "label": "hectolitre", "symbol": "hl", "dimension": "volume", "factor": Decimal("100")},
    {"code": "MTQ", "label": "cubic metre", "symbol": "m³", "dimension": "volume", "factor": Decimal("1000")},
    {"code": "H87", "label": "piece", "symbol": "pc", "dimension": "count", "factor": Decimal("1")},
    {"code": "C62", "label": "one", "symbol": "", "dimension": "count", "factor": Decimal("1")},
    {"code": "NAR", "label": "number of articles", "symbol": "", "dimension": "count", "factor": Decimal("1")},
    {"code": "U2", "label": "tablet", "symbol": "", "dimension": "count", "factor": Decimal("1")},
    {"code": "PR", "label": "pair", "symbol": "", "dimension": "count", "factor": Decimal("2")},
    {"code": "NPR", "label": "number of pairs", "symbol": "", "dimension": "count", "factor": Decimal("2")},
    {"code": "DZN", "label": "dozen", "symbol": "", "dimension": "count", "factor": Decimal("12")},
    {"code": "T3", "label": "thousand piece", "symbol": "", "dimension": "count", "factor": Decimal("1000")},
    {"code": "STK", "label": "stick, cigarette", "symbol": "", "dimension": "sticks", "factor": Decimal("1")},
    {"code": "LPA", "label": "litre of pure alcohol", "symbol": "l alc. 100 %", "dimension": "other", "factor": None},
    {"code": "MTR", "label": "metre", "symbol": "m", "dimension": "other", "factor": None},
    {"code": "MTK", "label": "square metre", "symbol": "m²", "dimension": "other", "factor": None},
    {"code": "SET", "label": "set", "symbol": "", "dimension": "other", "factor": None},
    {"code": "NMP", "label": "number of packs", "symbol": "", "dimension": "other", "factor": None},
]


def load(apps, schema_editor):
    upsert_terms(apps, "EnforcementArea", ENFORCEMENT_AREAS)
    upsert_terms(apps, "CommodityCategory", COMMODITY_CATEGORIES)
    upsert_terms(apps, "DetectionMethod", DETECTION_METHODS)
    upsert_terms(apps, "SelectionBasis", SELECTION_BASES)
    upsert_terms(apps, "ConcealmentMethod", CONCEALMENT_GROUPS)
    upsert_terms(apps, "ConcealmentMethod", CONCEALMENT_METHODS)
    upsert_terms(apps, "TransportMode", TRANSPORT_MODES)
    upsert_terms(apps, "ConveyanceType", CONVEYANCE_TYPES)
    upsert_terms(apps, "LocationType", LOCATION_TYPES)
    upsert_terms(apps, "Direction", DIRECTIONS)
    upsert_terms(apps, "Unit", UNITS)


class Migration(migrations.Migration):
    dependencies = [("reference", "0002_case_insensitive_lookups")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
