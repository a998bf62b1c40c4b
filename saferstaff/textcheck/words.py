"""Word lists the draft checker reads. Written for this project; extend them here, in one place."""

# First names that are also ordinary English words: alone they are a pupil only when written with a capital
# in the middle of a sentence, near a school cue, and not as part of a phrase like "Summer fair".
ORDINARY_NAMES = frozenset(
    """
    grace will hope summer may rose jack sienna holly ruby poppy daisy autumn faith joy bill frank chase
    hunter storm skye sky willow mason bobby teddy dolly lily iris ivy jasmine heather hazel amber
    pearl crystal dawn eve april june august winter river rain brook bay bear fox wolf rocky sunny
    honey sugar candy cherry violet olive ginger sage blossom clover fern angel destiny harmony melody
    serenity liberty justice mercy patience prudence charity constance verity trinity unity nova star
    scarlett rowan ash aspen birch cedar oak reed heath moss glen dale lane cliff forrest wood stone
    rock flint steel rusty dusty lucky happy king prince duke earl baron major rich rob mark pat sue
    pearl gem jewel ruby belle beau dash max miles art carol holly noel christian chance cash penny
    ray sonny rex tiger lion leo jay robin wren dove finch drew grant hunter archer porter carter
    piper taylor sawyer cooper parker mason gene guy nick norman pip will victor vince walter young
    sandy misty marina coral ocean marsh field hill green black brown white gray grey rose blue
    """.split()
)

# Words that, right after a name-word, make it the name of an event or thing, not a pupil: "Summer fair",
# "May half term", "Rose garden", "Storm Babet" (weather), "Jack Frost".
EVENT_AFTER = frozenset(
    """
    fair fete term terms holiday holidays hols break concert show camp festival ball party fayre
    garden gardens bush bushes bed beds petal petals hip hips gold day days time timetable term's
    sale sales raffle disco market madness bank warning frost fruit berries berry tree trees
    flower flowers colour color jumper dress tea cake warning alert watch lights
    """.split()
)

# Words and phrases that put a first name in school: a draft about a child in the writer's class, not about
# a friend for coffee.
SCHOOL_CUES = frozenset(
    """
    class classroom classes pupil pupils student students kids kiddo reception nursery y1 y2 y3 y4 y5 y6
    yr1 yr2 yr3 yr4 yr5 yr6 ks1 ks2 eyfs pickup dropoff playground lunchtime assembly phonics reader readers
    spelling spellings handwriting homework nativity register certificate ta superstar learner maths
    carpet pe senco ehcp behaviour behavior sticker stickers merit headteacher classmate classmates
    uniform bookbag school schools teacher upn transfer report ehcp iep sats
    """.split()
) | frozenset(
    [
        "my class",
        "our class",
        "in class",
        "year 1",
        "year 2",
        "year 3",
        "year 4",
        "year 5",
        "year 6",
        "pick-up",
        "pick up",
        "drop-off",
        "drop off",
        "sports day",
        "school trip",
        "golden time",
        "star of the week",
        "show and tell",
        "parents evening",
        "parents' evening",
        "line up",
        "lined up",
        "tidy up",
        "lunch box",
        "book bag",
        "reading book",
        "little one",
        "my little",
        "house points",
        "yard duty",
        "dinner hall",
        "school hall",
        "in reception",
        "in nursery",
        "my group",
        "my kids",
        "my kiddos",
        "our kids",
        "the kids",
        "class of",
        "my pupils",
        "my children",
        "swimming lesson",
        "a whole page",
        "whole book",
        "read a",
        "reading",
        "learning",
        "lesson",
        "year one",
        "year two",
        "year three",
        "my little ones",
        "my lot",
        "our lot",
        "home time",
        "home-time",
        "break time",
        "story time",
        "dinner time",
        "school dinners",
        "packed lunch",
        "breakfast club",
        "after school club",
        "forest school",
        "star of the day",
        "wow moment",
        "spelling test",
        "times tables",
        "class dojo",
        "school trip",
        "carpet time",
        "choosing time",
        "aged 4",
        "aged 5",
        "aged 6",
        "aged 7",
        "miss,",
        "key stage",
        "my reader",
        "my readers",
        "his class",
        "her class",
    ]
)

# Titles that make a name an adult's: "Mrs Thompson", "Miss Grace".
TITLES = ["mr", "mrs", "miss", "ms", "mx", "dr", "sir", "madam", "rev", "prof"]
