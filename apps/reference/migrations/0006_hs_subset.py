"""A built-in, enforcement-relevant subset of the HS 2022 nomenclature: the chapters and headings a
seizure report most often needs (tobacco, alcohol, drugs and precursors, medicines, arms, cultural
goods, wildlife, timber, precious metals, counterfeit-prone goods, fuel, vehicles, ozone-depleting
substances...). Descriptions are those of the public-domain HS 2022 data set (UN Comtrade via
datasets/harmonized-system); ``manage.py load_hs`` loads the full nomenclature over it.
"""

from django.db import migrations

from apps.reference.migrations._terms import upsert_terms

# (code, section, description); a heading's parent is its chapter (first two digits).
HS_CODES = [
    ("01", "I", "Animals; live"),
    ("0106", "I", "Animals; live, n.e.c. in chapter 01"),
    ("03", "I", "Fish and crustaceans, molluscs and other aquatic invertebrates"),
    ("0301", "I", "Fish; live"),
    (
        "0308",
        "I",
        "Aquatic invertebrates other than crustaceans and molluscs, live, fresh, chilled, frozen, dried, salted or in brine; smoked aquatic invertebrates other than crustaceans and molluscs, whether or not cooked before or during the smoking process",
    ),
    ("05", "I", "Animal originated products; not elsewhere specified or included"),
    (
        "0507",
        "I",
        "Ivory, tortoise-shell, whalebone and whalebone hair, horns, antlers, hooves, nails, claws and beaks unworked or simply prepared, not cut to shape; waste and powder of these products",
    ),
    (
        "0508",
        "I",
        "Coral and similar materials, unworked or simply prepared, shells of molluscs, crustaceans or echinoderms and cuttle-bone, not cut to shape powder and waste thereof",
    ),
    ("06", "II", "Trees and other plants, live; bulbs, roots and the like; cut flowers and ornamental foliage"),
    (
        "0602",
        "II",
        "Plants, live; n.e.c. in heading no. 0601, (including their roots) cuttings and slips; mushroom spawn",
    ),
    (
        "12",
        "II",
        "Oil seeds and oleaginous fruits; miscellaneous grains, seeds and fruit, industrial or medicinal plants; straw and fodder",
    ),
    (
        "1211",
        "II",
        "Plants and parts of plants (including seeds and fruits), of a kind used primarily in perfumery, in pharmacy or for insecticidal, fungicidal or similar purposes, fresh, chilled, frozen or dried, whether or not cut, crushed or powdered",
    ),
    ("13", "II", "Lac; gums, resins and other vegetable saps and extracts"),
    (
        "1302",
        "II",
        "Vegetable saps and extracts; pectic substances, pectinates and pectates; agar-agar and other mucilages and thickeners, whether or not modified, derived from vegetable products",
    ),
    ("22", "IV", "Beverages, spirits and vinegar"),
    ("2203", "IV", "Beer made from malt"),
    ("2204", "IV", "Wine of fresh grapes, including fortified wines; grape must other than that of heading no. 2009"),
    ("2205", "IV", "Vermouth and other wine of fresh grapes, flavoured with plants or aromatic substances"),
    ("2206", "IV", "Fermented beverages, n.e.c. in chapter 22; (e.g. cider, perry, mead, sake)"),
    (
        "2207",
        "IV",
        "Ethyl alcohol, undenatured; of an alcoholic strength by volume of 80% vol. or higher; ethyl alcohol and other spirits, denatured, of any strength",
    ),
    (
        "2208",
        "IV",
        "Ethyl alcohol, undenatured; of an alcoholic strength by volume of less than 80% volume; spirits, liqueurs and other spirituous beverages",
    ),
    (
        "24",
        "IV",
        "Tobacco and manufactured tobacco substitutes; products, whether or not containing nicotine, intended for inhalation without combustion; other nicotine containing products intended for the intake of nicotine into the human body",
    ),
    ("2401", "IV", "Tobacco, unmanufactured; tobacco refuse"),
    ("2402", "IV", "Cigars, cheroots, cigarillos and cigarettes; of tobacco or of tobacco substitutes"),
    (
        "2403",
        "IV",
        "Manufactured tobacco and manufactured tobacco substitutes n.e.c; homogenised or reconstituted tobacco; tobacco extracts and essences",
    ),
    (
        "2404",
        "IV",
        "Products containing tobacco, reconstituted tobacco, nicotine, or tobacco or nicotine substitutes, intended for inhalation without combustion; other nicotine containing products intended for the intake of nicotine into the human body",
    ),
    ("27", "V", "Mineral fuels, mineral oils and products of their distillation; bituminous substances; mineral waxes"),
    (
        "2710",
        "V",
        "Petroleum oils and oils from bituminous minerals, not crude; preparations n.e.c, containing by weight 70% or more of petroleum oils or oils from bituminous minerals; these being the basic constituents of the preparations; waste oils",
    ),
    (
        "28",
        "VI",
        "Inorganic chemicals; organic and inorganic compounds of precious metals; of rare earth metals, of radio-active elements and of isotopes",
    ),
    ("2806", "VI", "Hydrogen chloride (hydrochloric acid); chlorosulphuric acid"),
    ("2807", "VI", "Sulphuric acid; oleum"),
    ("2841", "VI", "Salts of oxometallic or peroxometallic acids"),
    (
        "2844",
        "VI",
        "Radioactive chemical elements and radioactive isotopes (including the fissile or fertile chemical elements and isotopes); and their compounds; mixtures and residues containing these products",
    ),
    ("2852", "VI", "Inorganic or organic compounds of mercury, excluding amalgams, whether or not chemically defined"),
    ("29", "VI", "Organic chemicals"),
    ("2902", "VI", "Cyclic hydrocarbons"),
    ("2903", "VI", "Halogenated derivatives of hydrocarbons"),
    (
        "2914",
        "VI",
        "Ketones and quinones; whether or not with other oxygen function, and their halogenated, sulphonated, nitrated or nitrostated derivatives",
    ),
    (
        "2915",
        "VI",
        "Acids; saturated acyclic monocarboxylic acids and their anhydrides, halides, peroxides and peroxyacids; their halogenated, sulphonated, nitrated or nitrosated derivatives",
    ),
    (
        "2916",
        "VI",
        "Acids; unsaturated acyclic monocarboxylic, cyclic monocarboxylic, their anhydrides, halides, peroxides and peroxyacids; their halogenated, sulphonated, nitrated or nitrosated derivatives",
    ),
    ("2922", "VI", "Oxygen-function amino-compounds"),
    ("2924", "VI", "Carboxyamide-function compounds; amide-function compounds of carbonic acid"),
    ("2932", "VI", "Heterocyclic compounds with oxygen hetero-atom(s) only"),
    ("2933", "VI", "Heterocyclic compounds with nitrogen hetero-atom(s) only"),
    (
        "2939",
        "VI",
        "Alkaloids; natural or reproduced by synthesis, and their salts, ethers, esters and other derivatives",
    ),
    ("30", "VI", "Pharmaceutical products"),
    (
        "3002",
        "VI",
        "Human blood; animal blood for therapeutic, prophylactic or diagnostic uses; antisera, other blood fractions, immunological products, modified or obtained by biotechnological processes; vaccines, toxins, cultures of micro-organisms (excluding yeasts) etc",
    ),
    (
        "3003",
        "VI",
        "Medicaments; (not goods of heading no. 3002, 3005 or 3006) of two or more constituents mixed together for therapeutic or prophylactic use not in measured doses or in forms or packings for retail sale",
    ),
    (
        "3004",
        "VI",
        "Medicaments; (not goods of heading no. 3002, 3005 or 3006) consisting of mixed or unmixed products for therapeutic or prophylactic use, put up in measured doses (incl. those in the form of transdermal admin. systems) or packed for retail sale",
    ),
    ("33", "VI", "Essential oils and resinoids; perfumery, cosmetic or toilet preparations"),
    ("3303", "VI", "Perfumes and toilet waters"),
    (
        "3304",
        "VI",
        "Cosmetic and toilet preparations; beauty, make-up and skin care preparations (excluding medicaments, including sunscreen or sun tan preparations), manicure or pedicure preparations",
    ),
    ("36", "VI", "Explosives; pyrotechnic products; matches; pyrophoric alloys; certain combustible preparations"),
    ("3601", "VI", "Explosives; propellent powders"),
    ("3602", "VI", "Prepared explosives, other than propellent powders"),
    ("3603", "VI", "Safety fuses; detonating cords; percussion or detonating caps; igniters; electric detonators"),
    ("3604", "VI", "Fireworks, signalling flares, rain rockets, fog signals and other pyrotechnic articles"),
    ("38", "VI", "Chemical products n.e.c."),
    (
        "3808",
        "VI",
        "Insecticides, rodenticides, fungicides, herbicides, anti-sprouting products, plant growth regulators, disinfectants and the like, put up in forms or packings for retail sale or as preparations or articles",
    ),
    (
        "3824",
        "VI",
        "Prepared binders for foundry moulds or cores; chemical products and preparations of the chemical or allied industries (including those consisting of mixtures of natural products), not elsewhere specified or included",
    ),
    (
        "3825",
        "VI",
        "Residual products of the chemical or allied industries, not elsewhere specified or included; municipal waste; sewage sludge; other residual products.",
    ),
    (
        "42",
        "VIII",
        "Articles of leather; saddlery and harness; travel goods, handbags and similar containers; articles of animal gut (other than silk-worm gut)",
    ),
    (
        "4202",
        "VIII",
        "Trunks; suit, camera, jewellery, cutlery cases; travel, tool, similar bags; wholly or mainly covered by leather, composition leather, plastic sheeting, textile materials, vulcanised fibre, paperboard",
    ),
    ("43", "VIII", "Furskins and artificial fur; manufactures thereof"),
    (
        "4301",
        "VIII",
        "Raw furskins (including heads, tails, paws, other pieces or cuttings, suitable for furriers' use), excluding raw hides and skins of heading no. 4101, 4102 or 4103",
    ),
    ("4303", "VIII", "Articles of apparel, clothing accessories and other articles of furskin"),
    ("44", "IX", "Wood and articles of wood; wood charcoal"),
    ("4403", "IX", "Wood in the rough, whether or not stripped of bark or sapwood, or roughly squared"),
    (
        "4407",
        "IX",
        "Wood sawn or chipped lengthwise, sliced or peeled, whether or not planed, sanded or finger-jointed, of a thickness exceeding 6mm",
    ),
    (
        "49",
        "X",
        "Printed books, newspapers, pictures and other products of the printing industry; manuscripts, typescripts and plans",
    ),
    (
        "4907",
        "X",
        "Unused postage, revenue or similar stamps of current or new issue in the country in which they have, or will have, a recognised face value; stamp-impressed paper; cheque forms; banknotes, stock, share or bond certificates and the like of similar title",
    ),
    ("61", "XI", "Apparel and clothing accessories; knitted or crocheted"),
    ("6109", "XI", "T-shirts, singlets and other vests; knitted or crocheted"),
    ("6110", "XI", "Jerseys, pullovers, cardigans, waistcoats and similar articles; knitted or crocheted"),
    ("64", "XII", "Footwear; gaiters and the like; parts of such articles"),
    (
        "6403",
        "XII",
        "Footwear; with outer soles of rubber, plastics, leather or composition leather and uppers of leather",
    ),
    (
        "6404",
        "XII",
        "Footwear; with outer soles of rubber, plastics, leather or composition leather and uppers of textile materials",
    ),
    (
        "71",
        "XIV",
        "Natural, cultured pearls; precious, semi-precious stones; precious metals, metals clad with precious metal, and articles thereof; imitation jewellery; coin",
    ),
    ("7102", "XIV", "Diamonds, whether or not worked, but not mounted or set"),
    (
        "7106",
        "XIV",
        "Silver (including silver plated with gold or platinum); unwrought or in semi-manufactured forms, or in powder form",
    ),
    (
        "7108",
        "XIV",
        "Gold (including gold plated with platinum) unwrought or in semi-manufactured forms, or in powder form",
    ),
    ("7113", "XIV", "Jewellery articles and parts thereof, of precious metal or of metal clad with precious metal"),
    ("7118", "XIV", "Coin"),
    (
        "85",
        "XVI",
        "Electrical machinery and equipment and parts thereof; sound recorders and reproducers; television image and sound recorders and reproducers, parts and accessories of such articles",
    ),
    (
        "8517",
        "XVI",
        "Telephone sets, including smartphones and other telephones for cellular/wireless networks; other apparatus for the transmission or reception of voice, images or other data (including wired/wireless networks), excluding items of 8443, 8525, 8527, or 8528",
    ),
    (
        "8523",
        "XVI",
        "Discs, tapes, solid-state non-volatile storage devices, smart cards and other media for the recording of sound or of other phenomena, whether or not recorded, including matrices and masters for the production of discs, excluding products of Chapter 37",
    ),
    ("87", "XVII", "Vehicles; other than railway or tramway rolling stock, and parts and accessories thereof"),
    (
        "8703",
        "XVII",
        "Motor cars and other motor vehicles; principally designed for the transport of persons (other than those of heading no. 8702), including station wagons and racing cars",
    ),
    ("8708", "XVII", "Motor vehicles; parts and accessories, of heading no. 8701 to 8705"),
    (
        "8710",
        "XVII",
        "Tanks and other armoured fighting vehicles; motorised, whether or not fitted with weapons, and parts of such vehicles",
    ),
    ("91", "XVIII", "Clocks and watches and parts thereof"),
    (
        "9102",
        "XVIII",
        "Wrist-watches, pocket-watches, stop-watches and other watches, other than those of heading no. 9101",
    ),
    ("93", "XIX", "Arms and ammunition; parts and accessories thereof"),
    ("9301", "XIX", "Military weapons; other than revolvers, pistols and arms of heading no. 9307"),
    ("9302", "XIX", "Revolvers and pistols; other than those of heading no. 9303 or 9304"),
    (
        "9303",
        "XIX",
        "Firearms; other similar devices (e.g. sporting shotguns and rifles, muzzle-loading firearms, very pistols, devices for firing flares or blank ammunition, captive bolt humane killers, line throwing guns)",
    ),
    (
        "9304",
        "XIX",
        "Firearms; (e.g. spring, air or gas guns and pistols, truncheons), excluding those of heading no. 9307",
    ),
    ("9305", "XIX", "Firearms; parts and accessories of articles of heading no. 9301 to 9304"),
    (
        "9306",
        "XIX",
        "Bombs, grenades, torpedoes, mines, missiles and similar munitions of war and parts thereof; cartridges and other ammunition, projectiles and parts thereof, including shot and cartridge wads",
    ),
    (
        "9307",
        "XIX",
        "Arms; swords, cutlasses, bayonets, lances and the like, parts thereof and scabbards and sheaths therefor",
    ),
    ("95", "XX", "Toys, games and sports requisites; parts and accessories thereof"),
    (
        "9503",
        "XX",
        "Tricycles, scooters, pedal cars and similar wheeled toys; dolls' carriages; dolls; other toys; reduced-size (scale) models and similar recreational models, working or not; puzzles of all kinds",
    ),
    (
        "9504",
        "XX",
        "Video game consoles and machines, articles for funfair, table or parlour games, including pintables, billiards, special tables for casino games and automatic bowling alley equipment",
    ),
    ("96", "XX", "Miscellaneous manufactured articles"),
    (
        "9601",
        "XX",
        "Ivory, bone, tortoise-shell, horn, antlers, coral, mother-of-pearl and other animal carving material and articles of these materials; worked, (including articles obtained by moulding)",
    ),
    ("97", "XXI", "Works of art; collectors' pieces and antiques"),
    (
        "9701",
        "XXI",
        "Paintings, drawings and pastels, executed entirely by hand; not drawings of heading no. 4906 and not hand-painted, hand-decorated manufactured articles; collages, mosaics and similar decorative plaques",
    ),
    ("9702", "XXI", "Engravings, prints and lithographs; original"),
    ("9703", "XXI", "Sculptures and statuary; original, in any material"),
    (
        "9704",
        "XXI",
        "Stamps, postage or revenue; stamp-postmarks, first-day covers, postal stationery (stamped paper) and like, used or unused, other than those of heading 4907",
    ),
    (
        "9705",
        "XXI",
        "Collections and collectors' pieces; of archaeological, ethnographic, historical, zoological, botanical, mineralogical, anatomical, palaeontological or numismatic interest",
    ),
    ("9706", "XXI", "Antiques; of an age exceeding one hundred years"),
]


def load(apps, schema_editor):
    # Chapters first, so that headings find their parent.
    rows = sorted(HS_CODES, key=lambda row: (len(row[0]), row[0]))
    upsert_terms(
        apps,
        "HSCode",
        (
            {
                "code": code,
                "label": description,
                "section": section,
                "level": len(code),
                "parent": code[:2] if len(code) > 2 else None,
                "sort_order": 0,
            }
            for code, section, description in rows
        ),
    )


class Migration(migrations.Migration):
    dependencies = [("reference", "0005_currencies")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
