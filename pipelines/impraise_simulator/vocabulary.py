"""The words the synthetic organisation is made of: names, titles, topics, phrases.

Names are deliberately non-ASCII in many ways (accents, ligature-like letters, CJK,
Hangul, apostrophes, particles) because real exports are, and encodings break on them.
Each name comes with the ASCII spelling its email address uses.
"""

from __future__ import annotations

# (display, email spelling)
WESTERN_GIVEN = (
    ("Zoë", "zoe"),
    ("José", "jose"),
    ("Björn", "bjorn"),
    ("Amélie", "amelie"),
    ("Søren", "soren"),
    ("Łukasz", "lukasz"),
    ("Çağla", "cagla"),
    ("Håkon", "hakon"),
    ("Élodie", "elodie"),
    ("Jürgen", "jurgen"),
    ("Niamh", "niamh"),
    ("Oluwaseun", "oluwaseun"),
    ("Priya", "priya"),
    ("Fatima", "fatima"),
    ("Mateo", "mateo"),
    ("Emma", "emma"),
    ("Noah", "noah"),
    ("Ana", "ana"),
    ("Ines", "ines"),
    ("Lars", "lars"),
    ("Chloé", "chloe"),
    ("Rafael", "rafael"),
    ("Aoife", "aoife"),
    ("Dmitrij", "dmitrij"),
    ("Ngozi", "ngozi"),
    ("Sebastián", "sebastian"),
)
WESTERN_FAMILY = (
    ("Ångström", "angstrom"),
    ("Núñez", "nunez"),
    ("Müller", "muller"),
    ("van der Berg", "vanderberg"),
    ("O'Brien", "obrien"),
    ("Kowalczyk", "kowalczyk"),
    ("Dvořák", "dvorak"),
    ("Øvergaard", "overgaard"),
    ("García", "garcia"),
    ("Okafor", "okafor"),
    ("Smith", "smith"),
    ("Jansen", "jansen"),
    ("Şahin", "sahin"),
    ("Lefèvre", "lefevre"),
    ("Fernández", "fernandez"),
    ("Nguyễn", "nguyen"),
    ("Patel", "patel"),
    ("de Vries", "devries"),
    ("Żółkiewski", "zolkiewski"),
    ("Brontë", "bronte"),
    ("Mbeki", "mbeki"),
    ("Papadopoulos", "papadopoulos"),
)
# (family names, given names, separator between them): family name first.
EAST_ASIAN = (
    (
        (("李", "li"), ("王", "wang"), ("张", "zhang"), ("陈", "chen"), ("刘", "liu")),
        (("雷", "lei"), ("芳", "fang"), ("伟", "wei"), ("静", "jing"), ("子轩", "zixuan")),
        "",
    ),
    (
        (("山田", "yamada"), ("佐藤", "sato"), ("鈴木", "suzuki"), ("高橋", "takahashi")),
        (("花子", "hanako"), ("太郎", "taro"), ("美咲", "misaki"), ("翔", "sho")),
        " ",
    ),
    (
        (("김", "kim"), ("박", "park"), ("이", "lee"), ("최", "choi")),
        (("민준", "minjun"), ("서연", "seoyeon"), ("지호", "jiho"), ("하은", "haeun")),
        "",
    ),
)
EMAIL_DOMAIN = "northwind-example.com"

# department: (executive title, manager titles, individual contributor titles)
DEPARTMENTS = {
    "Engineering": (
        "VP of Engineering",
        ("Engineering Manager", "Head of Platform", "Director of Engineering"),
        ("Software Engineer", "Backend Engineer", "Frontend Engineer", "SRE", "QA Engineer"),
    ),
    "Product": (
        "Chief Product Officer",
        ("Group Product Manager", "Head of Design"),
        ("Product Manager", "Product Designer", "UX Researcher", "Data Analyst"),
    ),
    "Sales": (
        "VP of Sales",
        ("Sales Manager", "Regional Sales Director"),
        ("Account Executive", "Sales Development Rep", "Solutions Consultant"),
    ),
    "Marketing": (
        "Chief Marketing Officer",
        ("Marketing Manager", "Head of Brand"),
        ("Content Marketer", "Growth Marketer", "Événementiel Coordinator", "SEO Specialist"),
    ),
    "Customer Success": (
        "VP of Customer Success",
        ("Customer Success Manager Lead", "Support Manager"),
        ("Customer Success Manager", "Support Engineer", "Onboarding Specialist"),
    ),
    "People": (
        "Chief People Officer",
        ("People Partner Lead", "Talent Acquisition Manager"),
        ("People Partner", "Recruiter", "L&D Specialist"),
    ),
    "Finance": (
        "Chief Financial Officer",
        ("Finance Manager", "Controller"),
        ("Accountant", "FP&A Analyst", "Payroll Specialist"),
    ),
    "Operations": (
        "COO",
        ("Operations Manager", "Head of IT"),
        ("Operations Analyst", "IT Specialist", "Office Manager"),
    ),
}
CEO_TITLE = "Chief Executive Officer"
SENIORITY = ("", "", "", "Senior ", "Senior ", "Junior ", "Staff ", "Lead ", "Principal ")

SQUADS = (
    "Platform",
    "Payments",
    "Growth",
    "Core",
    "Enterprise",
    "EMEA",
    "APAC",
    "Nordics",
    "Mobile",
    "Insights",
    "Onboarding",
    "Développement",
)
GUILDS = (
    "Frontend Guild",
    "DEI Committee",
    "Mentoring Circle",
    "Social Club",
    "Security Champions",
    "Green Team",
    "Café & Culture",
)

# (name, category); the library is the same for every organisation.
TOPICS = (
    ("Communication", "Interpersonal"),
    ("Active listening", "Interpersonal"),
    ("Giving feedback", "Interpersonal"),
    ("Collaboration", "Teamwork"),
    ("Knowledge sharing", "Teamwork"),
    ("Reliability", "Teamwork"),
    ("Ownership", "Execution"),
    ("Prioritisation", "Execution"),
    ("Delivering results", "Execution"),
    ("Quality of work", "Execution"),
    ("Problem solving", "Craft"),
    ("Technical depth", "Craft"),
    ("Customer focus", "Craft"),
    ("Creativity", "Craft"),
    ("Coaching", "Leadership"),
    ("Setting direction", "Leadership"),
    ("Decision making", "Leadership"),
    ("Delegation", "Leadership"),
    ("Inclusiveness", "Values"),
    ("Integrity", "Values"),
    ("Growth mindset", "Values"),
    ("Well-being", "Values"),
    ("Presentation skills", "Interpersonal"),
    ("Stakeholder management", "Execution"),
    ("Résumé screening", "Craft"),
    ("Innovation", "Craft"),
    ("Strategic thinking", "Leadership"),
    ("Mentoring", "Leadership"),
)

PRAISE = (
    "Great job on the launch, the whole team noticed.",
    "Thanks for jumping in to help the customer over the weekend.",
    "Your presentation at the all-hands was clear and inspiring.",
    "Really appreciated how you handled the difficult conversation.",
    "Merci for the thorough review, it caught two real bugs.",
    "You made onboarding so much smoother for the new hires.",
    "Superb write-up — everyone now understands the trade-offs.",
    "Danke for staying calm during the incident and keeping us informed.",
    "The new dashboard is already saving us hours every week.",
    "素晴らしい仕事でした。Thank you!",
)
TIPS = (
    "Consider sharing the plan earlier so others can give input.",
    "Try to keep the stand-up updates a bit shorter.",
    "It would help to document the decisions in the ticket.",
    "Next time, loop in the support team before the release.",
    "Maybe delegate more of the routine reviews to grow the juniors.",
    "Be careful with estimates; add buffer for the unknowns.",
    "Could you give more context in the PR descriptions?",
    "Un petit conseil: summarise the meeting outcomes in writing.",
)
ANSWERS = (
    "Strong collaborator; could push back more on scope creep.",
    "Very reliable. Would love to see more initiative in planning.",
    "Communicates clearly and is always willing to help.",
    "Great technical depth; sometimes hard to reach on Fridays.",
    "Handled the migration well. Keep mentoring the new joiners!",
    "I think presentations to leadership are the next growth area.",
    "Always brings energy to the team — ¡gracias!",
)
REQUEST_QUESTIONS = (
    "How did I do in the quarterly planning sessions?",
    "What should I keep doing, and what should I change?",
    "Any feedback on my presentation last week?",
    "How could I support the team better?",
    "What is one thing I could improve in how I run our meetings?",
    "How was working with me on the migration project?",
)
REVIEW_COMMENTS = (
    "Consistently exceeds expectations.",
    "Solid quarter with room to grow in planning.",
    "Needs to focus on delivery timelines.",
    "An example for the whole team.",
    "Good progress since the last cycle.",
    "Très bon travail, keep it up.",
)

# Review questions per review type: (question, topic name it rates, rated 1-5 or open text)
REVIEW_QUESTIONS = {
    "performance": (
        ("How well did this person deliver on their goals?", "Delivering results", True),
        ("How would you rate the quality of their work?", "Quality of work", True),
        ("What should they keep doing, or start doing?", "Growth mindset", False),
    ),
    "pulse": (("How supported do you feel by your manager this month?", "Well-being", True),),
    "peer": (
        ("How effective is this person as a collaborator?", "Collaboration", True),
        ("What is one thing they could do differently?", "Giving feedback", False),
    ),
    "leadership": (
        ("How clearly does this leader set direction?", "Setting direction", True),
        ("How well does this leader coach the team?", "Coaching", True),
        ("What should this leader start, stop or continue?", "Decision making", False),
    ),
    "360": (
        ("How well does this person communicate?", "Communication", True),
        ("How much ownership does this person take?", "Ownership", True),
        ("Anything else you want to share?", "Integrity", False),
    ),
}
# Asked only of reviewers in one relationship, in any review they take part in. Outsiders
# (clients, partners) rate how the person serves them: few of them answer in any one
# review, so this topic's averages are the ones most often below the privacy floor.
RELATIONSHIP_QUESTIONS = {
    "external": (
        ("How well does this person serve you as a client or partner?", "Customer focus", True),
    ),
}
