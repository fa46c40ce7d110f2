"""Built-in commodity types of the 13 categories, each with its default unit and the JSON Schema
(draft 2020-12 subset, see apps/reference/schemas.py) of its commodity-specific attributes.
"""

from django.db import migrations

from apps.reference.migrations._terms import upsert_terms

DRAFT = "https://json-schema.org/draft/2020-12/schema"
GENUINENESS = ["genuine", "counterfeit", "illicit_white", "unknown"]
CASH_TYPES = [
    "banknotes",
    "coins",
    "cheques",
    "travellers_cheques",
    "promissory_notes",
    "money_orders",
    "bearer_bonds",
    "bearer_shares",
    "gold",
    "other_precious_metals",
    "precious_stones",
    "prepaid_cards",
    "other",
]


def schema(**properties):
    return {"$schema": DRAFT, "type": "object", "properties": properties, "additionalProperties": False}


def percent(title):
    return {"type": "number", "title": title, "minimum": 0, "maximum": 100}


def count(title):
    return {"type": "integer", "title": title, "minimum": 0}


def text(title, max_length):
    return {"type": "string", "title": title, "maxLength": max_length}


def flag(title):
    return {"type": "boolean", "title": title}


def choice(title, values):
    return {"type": "string", "title": title, "enum": values}


DRUG = schema(purity_percent=percent("Purity (%)"))
DRUG_TABLETS = schema(
    purity_percent=percent("Purity (%)"),
    tablet_count=count("Number of tablets"),
    logo=text("Logo or imprint", 100),
)
PRECURSOR = schema(concentration_percent=percent("Concentration (%)"))
SMOKING = schema(
    sticks_count=count("Number of sticks"),
    brand_genuineness=choice("Brand genuineness", GENUINENESS),
)
TOBACCO = schema(brand_genuineness=choice("Brand genuineness", GENUINENESS))
E_LIQUID = schema(
    nicotine_mg_per_ml={"type": "number", "title": "Nicotine (mg/ml)", "minimum": 0},
    brand_genuineness=choice("Brand genuineness", GENUINENESS),
)
ALCOHOL = schema(
    alcohol_percent_vol=percent("Alcoholic strength (% vol)"),
    brand_genuineness=choice("Brand genuineness", GENUINENESS),
)
NONE = schema()
IPR = schema(
    right_type=choice(
        "Intellectual property right",
        ["trademark", "copyright", "design", "patent", "geographical_indication", "other"],
    )
)
MEDICINE = schema(
    active_substance=text("Active substance", 200),
    dosage_units=count("Number of dosage units"),
)
CITES = schema(
    species=text("Species (scientific name)", 200),
    cites_appendix=choice("CITES appendix", ["I", "II", "III"]),
    live_or_dead=choice("Live or dead", ["live", "dead"]),
)
SUBSTANCE = schema(substance=text("Substance (e.g. R-22, HFC-134a)", 64))
WASTE = schema(basel_code=text("Basel Convention code", 16))
FIREARM = schema(calibre=text("Calibre", 32), serial_number_present=flag("Serial number present"))
FIREARM_PART = schema(serial_number_present=flag("Serial number present"))
AMMUNITION = schema(calibre=text("Calibre", 32), rounds_count=count("Number of rounds"))
EXPLOSIVE = schema(un_number=text("UN number", 8))
STRATEGIC = schema(control_list_entry=text("Control list entry (e.g. 5A002)", 32))
RADIOACTIVE = schema(radionuclide=text("Radionuclide (e.g. Cs-137)", 32))
CHEMICAL = schema(cas_number=text("CAS number", 16))
CASH = schema(cash_type=choice("Cash type", CASH_TYPES))
CULTURAL = schema(period=text("Period or date", 100), listed_as_stolen=flag("Listed in a stolen-objects database"))


def types(category, rows):
    return [
        {"code": code, "label": label, "category": category, "default_unit": unit, "attributes_schema": attributes}
        for code, label, unit, attributes in rows
    ]


COMMODITY_TYPES = [
    *types(
        "DRUGS",
        [
            ("COCAINE", "Cocaine", "KGM", DRUG),
            ("CRACK", "Crack cocaine", "GRM", DRUG),
            ("COCA_LEAF", "Coca leaf", "KGM", NONE),
            ("HEROIN", "Heroin", "KGM", DRUG),
            ("OPIUM", "Opium", "KGM", DRUG),
            ("MORPHINE", "Morphine", "KGM", DRUG),
            ("CANNABIS_RESIN", "Cannabis resin", "KGM", DRUG),
            ("CANNABIS_HERBAL", "Herbal cannabis", "KGM", DRUG),
            ("CANNABIS_PLANTS", "Cannabis plants", "H87", NONE),
            ("CANNABIS_OIL", "Cannabis oil", "LTR", DRUG),
            ("AMPHETAMINE", "Amphetamine", "KGM", DRUG),
            ("METHAMPHETAMINE", "Methamphetamine", "KGM", DRUG),
            ("MDMA_TABLETS", "MDMA (ecstasy) tablets", "U2", DRUG_TABLETS),
            ("MDMA_POWDER", "MDMA powder or crystals", "KGM", DRUG),
            ("CAPTAGON", "Captagon tablets", "U2", DRUG_TABLETS),
            ("KETAMINE", "Ketamine", "KGM", DRUG),
            ("LSD", "LSD", "H87", NONE),
            ("GHB_GBL", "GHB / GBL", "LTR", DRUG),
            ("FENTANYL", "Fentanyl and analogues", "GRM", DRUG),
            ("NPS", "New psychoactive substances (NPS)", "KGM", DRUG),
            ("KHAT", "Khat", "KGM", NONE),
            ("OTHER_DRUGS", "Other drugs", "KGM", DRUG),
        ],
    ),
    *types(
        "PRECURSORS",
        [
            ("ACETIC_ANHYDRIDE", "Acetic anhydride", "LTR", PRECURSOR),
            ("POTASSIUM_PERMANGANATE", "Potassium permanganate", "KGM", PRECURSOR),
            ("EPHEDRINE", "Ephedrine / pseudoephedrine", "KGM", PRECURSOR),
            ("PMK", "PMK and PMK glycidate", "KGM", PRECURSOR),
            ("BMK", "BMK, APAA and APAAN", "KGM", PRECURSOR),
            ("SAFROLE", "Safrole and safrole-rich oils", "LTR", PRECURSOR),
            ("PHENYLACETIC_ACID", "Phenylacetic acid", "KGM", PRECURSOR),
            ("FENTANYL_PRECURSORS", "Fentanyl precursors (NPP, ANPP)", "KGM", PRECURSOR),
            ("SOLVENTS", "Solvents (acetone, toluene, MEK)", "LTR", PRECURSOR),
            ("ACIDS", "Acids (sulphuric, hydrochloric)", "LTR", PRECURSOR),
            ("OTHER_PRECURSORS", "Other precursors and pre-precursors", "KGM", PRECURSOR),
        ],
    ),
    *types(
        "TOBACCO",
        [
            ("CIGARETTES", "Cigarettes", "STK", SMOKING),
            ("CIGARS", "Cigars and cigarillos", "H87", SMOKING),
            ("RAW_TOBACCO", "Raw tobacco", "KGM", NONE),
            ("FINE_CUT_TOBACCO", "Fine-cut (roll-your-own) tobacco", "KGM", TOBACCO),
            ("WATER_PIPE_TOBACCO", "Water-pipe tobacco", "KGM", TOBACCO),
            ("HEATED_TOBACCO", "Heated tobacco sticks", "STK", SMOKING),
            ("E_LIQUIDS", "E-liquids", "LTR", E_LIQUID),
            ("E_CIGARETTES", "Electronic cigarettes (devices)", "H87", TOBACCO),
            ("OTHER_TOBACCO", "Other tobacco products", "KGM", TOBACCO),
        ],
    ),
    *types(
        "ALCOHOL",
        [
            ("SPIRITS", "Spirits", "LTR", ALCOHOL),
            ("BEER", "Beer", "LTR", ALCOHOL),
            ("WINE", "Wine", "LTR", ALCOHOL),
            ("ETHYL_ALCOHOL", "Ethyl alcohol (undenatured)", "LTR", ALCOHOL),
            ("OTHER_ALCOHOL", "Other alcoholic beverages", "LTR", ALCOHOL),
        ],
    ),
    *types(
        "OTHER_REVENUE",
        [
            ("FUEL", "Fuel and mineral oils", "LTR", NONE),
            ("VEHICLES", "Vehicles", "H87", NONE),
            ("TEXTILES", "Textiles and clothing", "KGM", NONE),
            ("ELECTRONICS", "Electronic goods", "H87", NONE),
            ("FOODSTUFFS", "Foodstuffs and agricultural products", "KGM", NONE),
            ("OTHER_REVENUE_GOODS", "Other revenue goods", "KGM", NONE),
        ],
    ),
    *types(
        "IPR",
        [
            ("IPR_CLOTHING", "Clothing and accessories", "H87", IPR),
            ("IPR_FOOTWEAR", "Footwear", "PR", IPR),
            ("IPR_BAGS", "Bags and wallets", "H87", IPR),
            ("IPR_WATCHES", "Watches", "H87", IPR),
            ("IPR_JEWELLERY", "Jewellery", "H87", IPR),
            ("IPR_PERFUMES", "Perfumes and cosmetics", "H87", IPR),
            ("IPR_TOYS", "Toys and games", "H87", IPR),
            ("IPR_ELECTRONICS", "Electrical and electronic devices", "H87", IPR),
            ("IPR_PHONES", "Mobile phones and accessories", "H87", IPR),
            ("IPR_SPARE_PARTS", "Vehicle spare parts", "H87", IPR),
            ("IPR_MEDIA", "CDs, DVDs and software", "H87", IPR),
            ("IPR_LABELS", "Labels, tags and packaging", "H87", IPR),
            ("IPR_FOOD", "Foodstuffs and beverages", "KGM", IPR),
            ("IPR_OTHER", "Other IPR-infringing goods", "H87", IPR),
        ],
    ),
    *types(
        "MEDICINES",
        [
            ("MED_ERECTILE", "Erectile dysfunction medicines", "U2", MEDICINE),
            ("MED_ANABOLIC", "Anabolic steroids and hormones", "U2", MEDICINE),
            ("MED_ANALGESICS", "Painkillers and opioid analgesics", "U2", MEDICINE),
            ("MED_SEDATIVES", "Sedatives and benzodiazepines", "U2", MEDICINE),
            ("MED_SLIMMING", "Slimming products", "U2", MEDICINE),
            ("MED_ANTIBIOTICS", "Antibiotics", "U2", MEDICINE),
            ("MED_VACCINES", "Vaccines and biologicals", "H87", MEDICINE),
            ("MED_DEVICES", "Medical devices and test kits", "H87", MEDICINE),
            ("MED_VETERINARY", "Veterinary medicines", "U2", MEDICINE),
            ("MED_OTHER", "Other medicines", "U2", MEDICINE),
        ],
    ),
    *types(
        "CITES",
        [
            ("IVORY", "Ivory", "KGM", CITES),
            ("RHINO_HORN", "Rhinoceros horn", "KGM", CITES),
            ("PANGOLIN", "Pangolin scales and products", "KGM", CITES),
            ("REPTILES", "Reptiles and reptile products", "H87", CITES),
            ("BIRDS", "Birds and bird products", "H87", CITES),
            ("MAMMALS", "Other mammals and mammal products", "H87", CITES),
            ("MARINE_SPECIES", "Corals and other marine species", "KGM", CITES),
            ("GLASS_EELS", "Glass eels", "KGM", CITES),
            ("CAVIAR", "Caviar", "KGM", CITES),
            ("CITES_TIMBER", "CITES-listed timber", "MTQ", CITES),
            ("CITES_PLANTS", "Plants (orchids, cacti, succulents)", "H87", CITES),
            ("TRADITIONAL_MEDICINE", "Traditional medicines with CITES species", "KGM", CITES),
            ("CITES_OTHER", "Other CITES specimens", "H87", CITES),
        ],
    ),
    *types(
        "OTHER_ENVIRONMENT",
        [
            ("ODS", "Ozone-depleting substances", "KGM", SUBSTANCE),
            ("HFC", "Fluorinated greenhouse gases (HFCs)", "KGM", SUBSTANCE),
            ("HAZARDOUS_WASTE", "Hazardous waste", "TNE", WASTE),
            ("OTHER_WASTE", "Other waste (plastics, e-waste)", "TNE", WASTE),
            ("TIMBER", "Timber (not CITES-listed)", "MTQ", NONE),
            ("PESTICIDES", "Pesticides", "KGM", SUBSTANCE),
            ("MERCURY", "Mercury", "KGM", NONE),
            ("OTHER_ENVIRONMENTAL_GOODS", "Other environmental goods", "KGM", NONE),
        ],
    ),
    *types(
        "WEAPONS",
        [
            ("HANDGUNS", "Handguns (pistols, revolvers)", "H87", FIREARM),
            ("RIFLES_SHOTGUNS", "Rifles and shotguns", "H87", FIREARM),
            ("AUTOMATIC_WEAPONS", "Automatic weapons", "H87", FIREARM),
            ("FIREARM_PARTS", "Firearm parts and components", "H87", FIREARM_PART),
            ("GAS_ALARM_WEAPONS", "Gas, alarm and signal weapons", "H87", FIREARM),
            ("AMMUNITION", "Ammunition", "H87", AMMUNITION),
            ("BLADED_WEAPONS", "Bladed weapons", "H87", NONE),
            ("OTHER_WEAPONS", "Other weapons (electroshock, sprays)", "H87", NONE),
        ],
    ),
    *types(
        "EXPLOSIVES",
        [
            ("EXPLOSIVES", "Explosives", "KGM", EXPLOSIVE),
            ("DETONATORS", "Detonators and fuses", "H87", EXPLOSIVE),
            ("FIREWORKS", "Fireworks and pyrotechnics", "KGM", EXPLOSIVE),
            ("DUAL_USE", "Dual-use goods", "H87", STRATEGIC),
            ("MILITARY_GOODS", "Military goods", "H87", STRATEGIC),
            ("RADIOACTIVE", "Radioactive and nuclear material", "KGM", RADIOACTIVE),
            ("TOXIC_CHEMICALS", "Toxic chemicals (CWC-scheduled)", "KGM", CHEMICAL),
        ],
    ),
    *types(
        "CASH",
        [
            ("BANKNOTES", "Banknotes and coins", "H87", CASH),
            ("BEARER_INSTRUMENTS", "Bearer negotiable instruments", "H87", CASH),
            ("GOLD", "Gold", "KGM", CASH),
            ("PRECIOUS_METALS_STONES", "Other precious metals and precious stones", "KGM", CASH),
            ("PREPAID_CARDS", "Prepaid cards", "H87", CASH),
            ("COUNTERFEIT_CURRENCY", "Counterfeit currency", "H87", CASH),
        ],
    ),
    *types(
        "CULTURAL_GOODS",
        [
            ("ARCHAEOLOGICAL", "Archaeological objects", "H87", CULTURAL),
            ("PAINTINGS", "Paintings and drawings", "H87", CULTURAL),
            ("SCULPTURES", "Sculptures and statuary", "H87", CULTURAL),
            ("MANUSCRIPTS", "Manuscripts, books and archives", "H87", CULTURAL),
            ("NUMISMATIC", "Coins and medals (numismatic)", "H87", CULTURAL),
            ("RELIGIOUS_OBJECTS", "Religious and ethnographic objects", "H87", CULTURAL),
            ("FOSSILS", "Fossils and palaeontological objects", "H87", CULTURAL),
            ("OTHER_CULTURAL_GOODS", "Other antiques and collectors' pieces", "H87", CULTURAL),
        ],
    ),
]


def load(apps, schema_editor):
    upsert_terms(apps, "CommodityType", COMMODITY_TYPES)


class Migration(migrations.Migration):
    dependencies = [("reference", "0003_core_vocabularies")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
