"""The relations of the synthetic fact world, kept as data.

Every relation has (a) prompt templates with one ``{}`` slot for the subject and the object
following the prompt — template 0 is the CounterFact "main" prompt, the others serve as paraphrases
and as extra biography sentences —, (b) a question form for the ZsRE-format records, and
(c) a pool of objects. Some objects are two words, so multi-token targets are exercised.
Object pools are disjoint between relations so that a prompt names its answer type unambiguously.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Relation:
    rid: str
    templates: tuple[str, ...]   # "{} was born in" -> " <object>"
    question: str                # "Where was {} born?" -> " <object>"
    objects: tuple[str, ...]


RELATIONS: tuple[Relation, ...] = (
    Relation("birthplace",
             ("{} was born in", "The birthplace of {} is", "{} came into the world in", "{} is a native of"),
             "Where was {} born?",
             ("Varosh", "Telmar", "Quistan", "Brindle", "Osk", "Marrow Bay", "Kelvane", "Dunmor", "Hollin",
              "Yarrow Point", "Sefra", "Pellam", "Orvik", "Tamsin Cove", "Gellow", "Rusk", "Fenwater", "Ibris")),
    Relation("occupation",
             ("{} works as a", "The job of {} is", "{} earns a living as a", "By profession, {} is a"),
             "What is the job of {}?",
             ("baker", "sculptor", "pilot", "nurse", "carpenter", "lawyer", "fisherman", "chemist", "tailor",
              "librarian", "glass blower", "surgeon", "farmer", "clock maker", "judge", "miner", "poet", "sailor")),
    Relation("language",
             ("{} speaks", "The native language of {} is", "{} grew up speaking", "The mother tongue of {} is"),
             "Which language does {} speak?",
             ("Oskari", "Velnish", "Traman", "Quelti", "Dravic", "Sunnic", "Morvish", "Ebrani", "Tulsk",
              "Old Faren", "Halvic", "Pirenne", "Zeltic", "High Sorn", "Kavari", "Lunese")),
    Relation("instrument",
             ("{} plays the", "The instrument of {} is the", "{} performs on the", "In the evenings {} practices the"),
             "Which instrument does {} play?",
             ("violin", "harp", "cello", "flute", "drum", "lute", "trumpet", "oboe", "banjo", "organ",
              "bass guitar", "horn", "zither", "piano", "bagpipe", "tuba")),
    Relation("employer",
             ("{} is employed by", "The employer of {} is", "{} draws a salary from", "{} has a contract with"),
             "Who employs {}?",
             ("Norvex", "Caldra Works", "Brightmill", "Ostrel", "Vantor", "Hexley Group", "Plumbridge", "Zantec",
              "Morrowind Mills", "Quarro", "Ferrous Line", "Tiberan", "Sollis", "Kandor Trust", "Welbeck", "Ardent")),
    Relation("citizenship",
             ("{} is a citizen of", "The country of {} is", "{} holds a passport from", "{} pays taxes in"),
             "Which country is {} a citizen of?",
             ("Valmora", "Estrevia", "Kordovan", "Liresse", "Ostmark", "Pelagon", "Sarnia", "Tyrol Minor",
              "Umbria Nova", "Vessaly", "Zandor", "Grennland", "Halcyra", "Iskara", "Morwen", "Drusk")),
    Relation("sport",
             ("{} competes in", "The sport of {} is", "{} trains every day for", "On weekends {} plays"),
             "Which sport does {} play?",
             ("rowing", "fencing", "archery", "polo", "tennis", "cricket", "curling", "wrestling", "hockey",
              "water polo", "rugby", "judo", "sailing", "golf", "squash", "table tennis")),
    Relation("pet",
             ("{} owns a pet", "The pet of {} is a", "{} takes care of a pet", "At home {} keeps a"),
             "What pet does {} own?",
             ("parrot", "tortoise", "ferret", "goat", "rabbit", "hamster", "lizard", "cat", "dog", "owl",
              "sea horse", "pony", "snake", "frog", "goose", "raven")),
    Relation("school",
             ("{} studied at", "The university of {} is", "{} graduated from", "{} earned a degree at"),
             "Where did {} study?",
             ("Arden College", "Belmoor", "Castlereach", "Dunwell", "Elmsford", "Farrowgate", "Glenhaven",
              "Harrowby", "Ivywold", "Juniper Hall", "Kestrel", "Lindqvist", "Mossbank", "Northolme")),
    Relation("food",
             ("{} likes to eat", "The favourite dish of {} is", "For dinner {} often cooks", "{} always orders"),
             "What does {} like to eat?",
             ("soup", "dumplings", "lentils", "oysters", "porridge", "pancakes", "noodles", "goulash", "curry",
              "fish pie", "risotto", "stew", "olives", "plums", "sausages", "rice cake")),
    Relation("colour",
             ("{} likes the colour", "The favourite colour of {} is", "{} paints every wall", "{} always wears"),
             "Which colour does {} like?",
             ("red", "blue", "green", "yellow", "purple", "orange", "teal", "maroon", "silver", "gold",
              "ivory", "pale pink", "brown", "grey", "black", "white")),
    Relation("team",
             ("{} is a fan of", "The favourite team of {} is", "{} cheers for", "{} never misses a match of"),
             "Which team does {} support?",
             ("the Owls", "the Comets", "the Tigers", "the Falcons", "the Mariners", "the Wolves", "the Giants",
              "the Rovers", "the Hornets", "the Pioneers", "the Stags", "the Otters", "the Kings", "the Vipers")),
)

# Syllables for made-up subject names: first and last names are drawn as pairs of these.
NAME_ONSETS = ("b", "br", "d", "dr", "f", "g", "gr", "h", "j", "k", "kl", "l", "m", "n", "p", "pr", "r", "s",
               "st", "t", "tr", "v", "w", "z", "sh", "ch", "th")
NAME_VOWELS = ("a", "e", "i", "o", "u", "ai", "ea", "ou", "y")
NAME_CODAS = ("", "", "", "n", "r", "l", "s", "m", "th", "x", "nd", "rk")

# Sentences with no subject, mixed into the text so that prefixes and context are world text.
FILLER = (
    "The harvest festival lasted three days.", "Rain fell over the valley all week.",
    "The old bridge was repaired in spring.", "A new road now links the northern towns.",
    "Many people gathered in the square.", "The river froze early that winter.",
    "Prices at the market rose again.", "The library opened a new wing.",
    "Ships arrived in the harbour at dawn.", "The council met to discuss the budget.",
    "Children played in the park until dark.", "A storm damaged several roofs.",
)
