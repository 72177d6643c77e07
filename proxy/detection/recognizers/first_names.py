"""Common first names (English-speaking and German-speaking countries), optionally with the surname after them.

This backs up the small English NER model, which misses names in short or informal text ("emma and kaite"), and is
the only name finder besides title cues for German text, which has no NER model at all. Names that are also
ordinary words in English or German (Will, Mark, May, Grace, Ernst, August, Wolf, Max, …) are left out.
Capitalised names match case-sensitively; lower-case ones only in English text and at a lower score.
"""

from __future__ import annotations

import regex

from proxy.detection.recognizers.base import PatternSpec, RecognizerSpec

NAMES = tuple("""
Aaron Abigail Adam Adrian Alexander Alexandra Alice Alicia Amanda Amelia Amy Andrea Andreas Andrew Angela Anna Anne
Annette Anthony Antonia Ashley Barbara Benjamin Bernd Birgit Brandon Brian Brittany Bruno Carina Carl Carla Carmen
Caroline Catherine Charles Charlotte Chloe Christian Christina Christine Christoph Christopher Claudia Daniel Daniela
Dennis Dieter Dirk Dominik Doris Dorothea Edward Elena Elias Elisabeth Elizabeth Ella Emilia Emily Emma Eric Erik
Esther Eva Fabian Felix Finn Florian Franziska Friedrich Gabriel Gabriele Georg George Gerhard Gisela Gregor Gregory
Gudrun Günter Günther Hannah Hannelore Hans Harald Heike Heinz Helga Helmut Henry Holger Ines Ingrid Isabella Jacob
Jakob James Jan Jana Janet Jason Jennifer Jens Jessica Joachim Johann Johanna Johannes John Jonas Jonathan Jörg
Joseph Joshua Judith Julia Julian Juliane Jürgen Justin Karin Karl Katharina Katherine Kathrin Katrin Kerstin Kevin
Kimberly Klaus Kristina Lara Laura Lauren Lea Lena Leon Leonie Liam Lisa Lukas Luisa Lutz Manfred Manuel Manuela
Margarete Maria Marie Marina Mario Markus Marta Martha Martin Matthew Matthias Maximilian Megan Melanie Melissa
Michael Michaela Michelle Mia Monika Nadine Natalie Nathan Nicholas Nicole Niklas Nina Noah Norbert Oliver Olivia
Oskar Otto Pamela Patrick Paul Paula Peter Petra Philipp Rachel Rainer Ralf Rebecca Regina Reinhard Renate Richard
Robert Ronald Rudolf Ryan Sabine Samantha Samuel Sandra Sara Sarah Sebastian Silke Simon Sophia Sophie Stefan
Stefanie Stephanie Steven Susanne Sven Sylvia Tanja Thomas Thorsten Timothy Tobias Torsten Ulrich Ulrike Ursula Ute
Uwe Valentina Vanessa Victoria Walter Werner William Wolfgang Yvonne Zoe
""".split())
# Lower-case forms only of names that are no English word (so not "bill", "mark", "will", "sue", …).
_LOWER_OK = tuple(n.lower() for n in NAMES if len(n) >= 4 and n.isascii() and n not in {
    "Carl", "Paul", "Hans", "Jacob", "Otto", "Nina", "Lara", "Anna", "Ella", "Lena", "Finn", "Noah", "Jana", "Jens"})

_SURNAME = r"(?:[ ](?:[A-Z]\.[ ]?)?(?:van |von |de |ten )?[A-ZÄÖÜ][a-zäöüßéèáàóòíìúù'-]+){0,2}"


def _alternation(names: tuple[str, ...]) -> str:
    return "|".join(regex.escape(n) for n in sorted(names, key=len, reverse=True))


SPEC = RecognizerSpec(
    name="FirstNameRecognizer",
    entity_type="PERSON",
    patterns=(PatternSpec("first name", rf"(?<![\w-])(?:{_alternation(NAMES)}){_SURNAME}(?![\w-])", 0.5),),
    case_sensitive=True,
)

LOWERCASE_SPEC = RecognizerSpec(
    name="FirstNameLowercaseRecognizer",
    entity_type="PERSON",
    patterns=(PatternSpec("first name lower-case", rf"(?<![\w@.-])(?:{_alternation(_LOWER_OK)})(?![\w@-])", 0.45),),
    languages=("en",),
    case_sensitive=True,
)
