"""The official FusionBrain VQA answer normalisation (English rules and Russian lemmatisation).

The official scorer normalises the *prediction* only, in this order:

1. ``\\n`` and ``\\t`` become spaces, then the text is stripped;
2. punctuation: for each mark of :data:`PUNCTUATION` in that order, the mark is deleted if the
   ORIGINAL text (after step 1) contains the mark followed by a space, a space followed by the
   mark, or digit-comma-digit anywhere; otherwise it is replaced by a space;
3. periods not followed by a digit are deleted, but at most 32 of them: the official code passes
   ``re.UNICODE`` (whose value is 32) where ``re.sub`` expects the replacement count;
4. lower-case and split on whitespace, then per language:
   English: number words ``none zero one … ten`` become digits, the articles ``a an the`` are
   dropped, then the VQA v2 contraction table is applied (its capitalised keys such as ``Im``
   can never match after lower-casing); Russian (``lang == "ru"``): each word becomes its first
   pymorphy lemma (``normal_form``), then number lemmas become digits;
5. words are joined with single spaces.

Any language other than ``ru`` takes the English path, as in the official code.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

__all__ = ["PUNCTUATION", "normalize_answer", "morph_versions"]

#: Punctuation marks, in the order the official code processes them.
PUNCTUATION = (";", "/", "[", "]", '"', "{", "}", "(", ")", "=", "+", "\\", "_", "-", ">", "<", "@", "`", ",", "?", "!")

#: The replacement count the official code passes by mistake (``re.UNICODE == 32``).
PERIOD_DELETION_LIMIT = 32

_DIGIT_COMMA_DIGIT = re.compile(r"(\d)(,)(\d)")
# A period not followed by a digit.  (The official pattern also carries a negative look-ahead
# for the literal text "<=" plus a digit, which can never match at a period, so it is omitted.)
_PERIOD = re.compile(r"\.(?!\d)")

_ENGLISH_NUMBERS = {
    "none": "0", "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10",
}
_RUSSIAN_NUMBERS = {
    "ноль": "0", "нисколько": "0", "никакой": "0", "один": "1", "два": "2", "три": "3",
    "четыре": "4", "пять": "5", "шесть": "6", "семь": "7", "восемь": "8", "девять": "9", "десять": "10",
}
_ARTICLES = frozenset({"a", "an", "the"})

# The contraction table of the VQA v2 evaluator: written-without-apostrophe forms to the
# apostrophe forms.  Keys with capitals ("Im", "Ive", "Id've", "I'dve") are kept because they are
# part of the official table, although they never match lower-cased words.
_CONTRACTIONS = dict(
    pair.split("=", 1)
    for pair in (
        "aint=ain't arent=aren't cant=can't couldve=could've couldnt=couldn't couldn'tve=couldn't've "
        "couldnt've=couldn't've didnt=didn't doesnt=doesn't dont=don't hadnt=hadn't hadnt've=hadn't've "
        "hadn'tve=hadn't've hasnt=hasn't havent=haven't hed=he'd hed've=he'd've he'dve=he'd've hes=he's "
        "howd=how'd howll=how'll hows=how's Id've=I'd've I'dve=I'd've Im=I'm Ive=I've isnt=isn't itd=it'd "
        "itd've=it'd've it'dve=it'd've itll=it'll let's=let's maam=ma'am mightnt=mightn't "
        "mightnt've=mightn't've mightn'tve=mightn't've mightve=might've mustnt=mustn't mustve=must've "
        "neednt=needn't notve=not've oclock=o'clock oughtnt=oughtn't ow's'at='ow's'at 'ows'at='ow's'at "
        "'ow'sat='ow's'at shant=shan't shed've=she'd've she'dve=she'd've she's=she's shouldve=should've "
        "shouldnt=shouldn't shouldnt've=shouldn't've shouldn'tve=shouldn't've somebody'd=somebodyd "
        "somebodyd've=somebody'd've somebody'dve=somebody'd've somebodyll=somebody'll somebodys=somebody's "
        "someoned=someone'd someoned've=someone'd've someone'dve=someone'd've someonell=someone'll "
        "someones=someone's somethingd=something'd somethingd've=something'd've "
        "something'dve=something'd've somethingll=something'll thats=that's thered=there'd "
        "thered've=there'd've there'dve=there'd've therere=there're theres=there's theyd=they'd "
        "theyd've=they'd've they'dve=they'd've theyll=they'll theyre=they're theyve=they've twas='twas "
        "wasnt=wasn't wed've=we'd've we'dve=we'd've weve=we've werent=weren't whatll=what'll "
        "whatre=what're whats=what's whatve=what've whens=when's whered=where'd wheres=where's "
        "whereve=where've whod=who'd whod've=who'd've who'dve=who'd've wholl=who'll whos=who's "
        "whove=who've whyll=why'll whyre=why're whys=why's wont=won't wouldve=would've wouldnt=wouldn't "
        "wouldnt've=wouldn't've wouldn'tve=wouldn't've yall=y'all yall'll=y'all'll y'allll=y'all'll "
        "yall'd've=y'all'd've y'alld've=y'all'd've y'all'dve=y'all'd've youd=you'd youd've=you'd've "
        "you'dve=you'd've youll=you'll youre=you're youve=you've"
    ).split()
)


def _strip_punctuation(text: str) -> str:
    has_digit_comma_digit = _DIGIT_COMMA_DIGIT.search(text) is not None
    out = text
    for mark in PUNCTUATION:
        if has_digit_comma_digit or (mark + " ") in text or (" " + mark) in text:
            out = out.replace(mark, "")
        else:
            out = out.replace(mark, " ")
    return _PERIOD.sub("", out, count=PERIOD_DELETION_LIMIT)


@lru_cache(maxsize=1)
def _analyzer() -> Any:
    import pymorphy3  # loaded only when a Russian answer appears

    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=200_000)
def _russian_word(word: str) -> str:
    lemma = _analyzer().parse(word)[0].normal_form
    return _RUSSIAN_NUMBERS.get(lemma, lemma)


def _english_words(words: list[str]) -> list[str]:
    kept = [w for w in (_ENGLISH_NUMBERS.get(w, w) for w in words) if w not in _ARTICLES]
    return [_CONTRACTIONS.get(w, w) for w in kept]


@lru_cache(maxsize=200_000)
def normalize_answer(text: str, lang: str) -> str:
    """Normalise an answer exactly as the official scorer normalises predictions.

    Args:
        text: the raw answer.
        lang: the question's language; ``"ru"`` takes the Russian path, anything else English.

    >>> normalize_answer("Two dogs.", "en"), normalize_answer("The 1,000!", "en")
    ('2 dogs', '1000')
    >>> normalize_answer("Две красные кошки", "ru")
    '2 красный кошка'
    """
    cleaned = text.replace("\n", " ").replace("\t", " ").strip()
    words = _strip_punctuation(cleaned).lower().split()
    if lang == "ru":
        return " ".join(_russian_word(w) for w in words)
    return " ".join(_english_words(words))


def morph_versions() -> tuple[str, str]:
    """Versions of pymorphy3 and its Russian dictionary package (they go into the signature)."""
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in ("pymorphy3", "pymorphy3-dicts-ru"):
        try:
            found.append(version(name))
        except PackageNotFoundError:
            found.append("missing")
    return found[0], found[1]
