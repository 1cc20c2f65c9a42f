"""Derive ``data/taxonomy/skills.json`` and ``titles.json`` from the shared reference data.

Usage: ``python scripts/build_taxonomy.py [--shared ../shared]``

The bot must never read ``../shared`` at run time, so everything the analyser needs is distilled
here into two small JSON files that ship with the package. The output is deterministic (sorted,
no timestamps) so that a re-run on unchanged inputs is byte-identical and a test can prove the
committed files are really what this script produces.

Selection is deliberately narrow: the matcher runs on every job description, and a label that
fires on ordinary prose costs more (wrong interview questions) than a missing niche skill.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import tomllib
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "data" / "taxonomy"
CURATED = OUT_DIR / "curated.toml"

ATTRIBUTION = [
    "O*NET 29.2 Database by USDOL/ETA, used under CC BY 4.0",
    "ESCO v1.1.0, European Commission",
    "GitHub linguist languages.json, MIT",
]
MAX_BYTES = 1_500_000

_WORD_RE = re.compile(r"[^\W_]+|\+\+?|[#.&/]")
# Context used for derived names that are also ordinary words ("Chef", "Puppet"): they count
# only next to a clearly technical word or another technical skill.
_GENERIC_TECH_CONTEXT = [
    "software",
    "programming",
    "language",
    "languages",
    "framework",
    "frameworks",
    "platform",
    "tools",
    "developer",
    "development",
    "engineer",
    "engineering",
    "code",
    "coding",
    "scripting",
    "database",
    "cloud",
    "DevOps",
    "API",
    "APIs",
]
# Company names O*NET lists as technologies; as skills they say nothing about the job.
_ONET_SKIP = {"Google", "Facebook", "LinkedIn", "Twitter", "YouTube", "Instagram", "Yelp"}
# Vendors whose product names read well without them ("Autodesk AutoCAD" -> "AutoCAD").
_VENDORS = (
    "Adobe",
    "Amazon",
    "Apache",
    "Apple",
    "Atlassian",
    "Autodesk",
    "Bentley",
    "Cisco",
    "Dassault Systemes",
    "ESRI",
    "Google",
    "IBM",
    "Intuit",
    "Microsoft",
    "Oracle",
    "SAP",
    "The MathWorks",
)
_SOFT_HINTS = (
    "communicat",
    "teamwork",
    "team work",
    "leadership",
    "negotiat",
    "empathy",
    "patience",
    "creativity",
    "initiative",
    "resilience",
    "adaptab",
    "persuasi",
    "diplomacy",
    "motivat",
    "integrity",
    "ethic",
    "critical thinking",
    "problem solving",
    "cooperat",
    "collaborat",
)
# ESCO single words that fire on ordinary job-ad prose rather than naming a skill.
_ESCO_STOP = {
    "accuracy",
    "business",
    "cameras",
    "communication",
    "consultation",
    "database",
    "design",
    "energy",
    "history",
    "logic",
    "literature",
    "management",
    "marketing",
    "politics",
    "prayer",
    "sing",
    "sales",
    "teamwork",
    "tax",
    "trademarks",
    "patents",
}
# Short verbs the frequency heuristic misses because they also occur inside noun phrases.
_COMMON_VERB_WORDS = (
    "work meet watch light use make keep take give follow show lead run set handle read write "
    "speak listen think help deal carry cut fill fit hold load mix move pack pick place pull put "
    "raise sort store tend test track treat turn wash wear plan design manage operate perform "
    "teach conduct provide prepare assist apply install develop research analyse analyze assess "
    "direct repair coordinate monitor inspect drive examine create determine maintain investigate "
    "supervise administer study compile assemble sell collect implement serve control construct "
    "advise evaluate clean receive review build demonstrate instruct disarm ensure process "
    "schedule convey enhance board glue soak boil wax buff manufacture swim"
)
_COMMON_VERBS = frozenset(_COMMON_VERB_WORDS.split())
_ESCO_SUFFIX_NOUN = (
    "ology",
    "ics",
    "tion",
    "ment",
    "ness",
    "ity",
    "ism",
    "ogy",
    "ure",
    "al",
    "ic",
    "ary",
    "ive",
    "ian",
    "ing",
    "ery",
    "ance",
    "ence",
)


def norm_key(text: str) -> str:
    """Case-folded token key; the runtime matcher tokenises the same way."""
    return " ".join(tok.casefold() for tok in _WORD_RE.findall(text))


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def english_vocabulary(onet: Path, esco_labels: Iterable[str]) -> set[str]:
    """Lower-case words seen in prose; a product name in this set is also an ordinary word."""
    vocab: set[str] = set()
    for row in read_tsv(onet / "Occupation Data.txt"):
        vocab.update(re.findall(r"\b[a-z]+\b", row["Description"]))
        vocab.update(re.findall(r"\b[a-z]+\b", row["Title"].lower()))
    for label in esco_labels:
        vocab.update(re.findall(r"\b[a-z]+\b", label))
    return vocab


# ---------------------------------------------------------------- curated
def load_curated() -> dict[str, Any]:
    with CURATED.open("rb") as handle:
        return tomllib.load(handle)


def curated_entries(curated: dict[str, Any]) -> list[dict[str, Any]]:
    """Expand ``split = true`` groups: each alias becomes its own canonical skill."""
    out: list[dict[str, Any]] = []
    for raw in curated["skills"]:
        if raw.get("split"):
            by_key: dict[str, dict[str, Any]] = {}
            for alias in raw.get("aliases", []):
                key = norm_key(alias)
                if key in by_key:
                    by_key[key].setdefault("aliases", []).append(alias)
                    continue
                by_key[key] = {"name": alias, "kind": raw["kind"], "group": raw["name"]}
                out.append(by_key[key])
            for cased in raw.get("cased", []):
                out.append(
                    {"name": cased, "kind": raw["kind"], "group": raw["name"], "cased": [cased]}
                )
            continue
        entry: dict[str, Any] = {"name": raw["name"], "kind": raw["kind"]}
        for field in ("aliases", "cased", "ambiguous_forms", "context", "reject_next"):
            if raw.get(field):
                entry[field] = list(raw[field])
        if raw.get("ambiguous"):
            entry["ambiguous"] = True
            entry["case_sensitive"] = bool(raw.get("case_sensitive", True))
        out.append(entry)
    return out


def entry_keys(entry: dict[str, Any]) -> set[str]:
    keys = {norm_key(entry["name"])}
    for field in ("aliases", "cased", "ambiguous_forms"):
        keys.update(norm_key(form) for form in entry.get(field, []))
    keys.discard("")
    return keys


# ---------------------------------------------------------------- O*NET technology skills
def onet_entries(onet: Path, vocab: set[str], languages: set[str]) -> list[dict[str, Any]]:
    rows = read_tsv(onet / "Technology Skills.txt")
    occupations: Counter[str] = Counter()
    hot: set[str] = set()
    for row in rows:
        occupations[row["Example"]] += 1
        if row["Hot Technology"] == "Y":
            hot.add(row["Example"])
    out: list[dict[str, Any]] = []
    for example in sorted(occupations):
        if example not in hot and occupations[example] < 3:
            continue
        name = re.sub(r"\s+software$", "", example).strip()
        words = name.split()
        # "Web browser software", "Billing software": a category, not a product anyone names.
        if not name or (example.endswith("software") and all(w.casefold() in vocab for w in words)):
            continue
        aliases: set[str] = set()
        acronym = re.match(r"^(.*\S)\s+([A-Z][A-Z0-9]{1,6})$", name)
        if acronym and len(acronym.group(1).split()) >= 2:
            aliases.add(acronym.group(1))
            aliases.add(acronym.group(2))
        for vendor in _VENDORS:
            if name.startswith(vendor + " "):
                rest = name[len(vendor) + 1 :]
                if rest.casefold() not in vocab or any(c.isupper() for c in rest[1:]):
                    aliases.add(rest)
        entry: dict[str, Any] = {
            "name": name,
            "kind": "language" if name.casefold() in languages else "tool",
            "source": "onet",
        }
        # Drop aliases that are plain words ("Word", "Project"): they would fire everywhere.
        # Short product names and acronyms match with their exact case only ("ETC" != "etc").
        safe = sorted(a for a in aliases if a != name and a.casefold() not in vocab)
        loose = [a for a in safe if " " in a and not a.isupper()]
        exact = [a for a in safe if a not in loose]
        if " " not in name:
            if name.casefold() in vocab or name in _ONET_SKIP:
                continue
            exact.append(name)
        if loose:
            entry["aliases"] = loose
        if exact:
            entry["cased"] = sorted(exact)
        out.append(entry)
    return out


# ---------------------------------------------------------------- linguist
def linguist_entries(
    path: Path, vocab: set[str], popular: set[str]
) -> tuple[list[dict[str, Any]], set[str]]:
    """Programming languages; popularity proxy: an O*NET technology example or ESCO label of its own.

    Names that are also ordinary words ("Red", "Self", "Move") are left out altogether: a
    context check cannot tell "move fast" from the language in a software posting.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    out: list[dict[str, Any]] = []
    names: set[str] = set()
    for name, info in sorted(data.items()):
        if info.get("type") != "programming":
            continue
        if len(name) < 2 or name.casefold() not in popular or name.casefold() in vocab:
            continue
        names.add(name.casefold())
        entry: dict[str, Any] = {"name": name, "kind": "language", "source": "linguist"}
        aliases = sorted(
            a
            for a in info.get("aliases", [])
            if len(a) >= 3 and a.casefold() not in vocab and norm_key(a) != norm_key(name)
        )
        if aliases:
            entry["aliases"] = aliases
        # Exact case only: "Ada" the language, not the ADA regulations.
        entry["cased"] = [name]
        out.append(entry)
    return out, names


# ---------------------------------------------------------------- ESCO
def esco_entries(labels: list[str], vocab: set[str]) -> list[dict[str, Any]]:
    """Short noun-phrase labels (knowledge, transversal skills); verb-first task labels dropped."""
    first: Counter[str] = Counter()
    later: Counter[str] = Counter()
    for label in labels:
        words = label.split()
        first[words[0]] += 1
        later.update(words[1:])

    def verb_like(word: str) -> bool:
        if word in _COMMON_VERBS:
            return True
        if not word.islower() or word.endswith(_ESCO_SUFFIX_NOUN):
            return False
        return first[word] >= 2 and first[word] >= later[word]

    out: list[dict[str, Any]] = []
    for label in labels:
        clean = re.sub(r"\s*\([^)]*\)", "", label).strip()
        words = clean.split()
        if not words or len(words) > 4 or len(clean) < 3:
            continue
        if len(words) > 1 and verb_like(words[0]):
            continue
        if len(words) == 1 and words[0].islower() and words[0] in first and first[words[0]] > 3:
            continue
        if clean.casefold() in _ESCO_STOP or any(ch in clean for ch in ':;"?!'):
            continue
        # "Source", "Scratch": capitalised product names that are also ordinary words.
        if len(words) == 1 and clean[0].isupper() and clean.casefold() in vocab:
            continue
        lowered = clean.casefold()
        kind = "soft" if any(h in lowered for h in _SOFT_HINTS) else "domain"
        entry: dict[str, Any] = {"name": clean, "kind": kind, "source": "esco"}
        if any(c.isupper() for c in clean[1:]) or (len(clean) <= 4 and clean.isupper()):
            entry["cased"] = [clean]
        out.append(entry)
    return out


# ---------------------------------------------------------------- merge
def merge(
    curated: list[dict[str, Any]], derived: list[list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Curated first; a derived entry is dropped when its name collides, its aliases pruned."""
    taken: dict[str, str] = {}
    curated_keys: set[str] = set()
    merged: list[dict[str, Any]] = []
    for entry in curated:
        entry = {**entry, "source": "curated"}
        for key in sorted(entry_keys(entry)):
            if key in taken and taken[key] != entry["name"]:
                raise SystemExit(
                    f"curated.toml: {key!r} used by {taken[key]!r} and {entry['name']!r}"
                )
            taken[key] = entry["name"]
            curated_keys.add(key)
        merged.append(entry)
    for group in derived:
        for entry in group:
            name_key = norm_key(entry["name"])
            # Any overlap with a curated concept means the team already described it.
            if not name_key or name_key in taken or entry_keys(entry) & curated_keys:
                continue
            for field in ("aliases", "cased"):
                kept = [a for a in entry.get(field, []) if norm_key(a) and norm_key(a) not in taken]
                if kept:
                    entry[field] = kept
                else:
                    entry.pop(field, None)
            for key in entry_keys(entry):
                taken.setdefault(key, entry["name"])
            merged.append(entry)
    merged.sort(key=lambda e: (e["name"].casefold(), e["name"]))
    return merged


# ---------------------------------------------------------------- titles
def build_titles(onet: Path, curated: dict[str, Any]) -> dict[str, Any]:
    occupations = read_tsv(onet / "Occupation Data.txt")
    zones = {
        row["O*NET-SOC Code"]: int(row["Job Zone"]) for row in read_tsv(onet / "Job Zones.txt")
    }
    codes = sorted(row["O*NET-SOC Code"] for row in occupations)
    index = {code: i for i, code in enumerate(codes)}
    titles_by_code = {row["O*NET-SOC Code"]: row["Title"] for row in occupations}
    occ_rows = [[code, titles_by_code[code], zones.get(code, 0)] for code in codes]

    titles: dict[str, tuple[str, int]] = {}

    def add(display: str, code: str, *, override: bool = False) -> None:
        display = re.sub(r"\s+", " ", display).strip()
        key = norm_key(display)
        if not key or code not in index:
            return
        if override or key not in titles:
            titles[key] = (display, index[code])

    for row in read_tsv(onet / "Alternate Titles.txt"):
        title = row["Alternate Title"]
        if len(title.split()) > 3 or any(ch in title for ch in ",()/"):
            continue
        add(title, row["O*NET-SOC Code"])
    # Reported titles are what job ads actually say; they win over the long alternates list.
    for row in read_tsv(onet / "Sample of Reported Titles.txt"):
        title = re.sub(r"\s*\([^)]*\)", "", row["Reported Job Title"])
        add(title, row["O*NET-SOC Code"], override=True)
    return {
        "attribution": ATTRIBUTION,
        "occupations": occ_rows,
        "role_families": [[name, list(words)] for name, words in curated["role_families"].items()],
        # display title -> occupation row; the loader re-derives the lookup key from the display.
        "titles": {display: occ for _, (display, occ) in sorted(titles.items())},
    }


def dump(payload: dict[str, Any]) -> bytes:
    text = json.dumps(payload, ensure_ascii=False, sort_keys=False, separators=(",", ":"))
    return (text + "\n").encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    taxonomy = args.shared / "data" / "taxonomy"
    onet, esco, linguist = taxonomy / "onet", taxonomy / "esco", taxonomy / "linguist"
    if not onet.is_dir():
        print(f"no O*NET data under {taxonomy}", file=sys.stderr)
        return 2

    labels = sorted(
        {
            line.strip()
            for line in (esco / "skills_en_label.txt").read_text(encoding="utf-8").splitlines()
        }
        - {""}
    )
    vocab = english_vocabulary(onet, labels)
    examples = {row["Example"] for row in read_tsv(onet / "Technology Skills.txt")}
    popular = {re.sub(r"\s*\([^)]*\)", "", x).casefold() for x in examples | set(labels)}
    lang_entries, language_names = linguist_entries(linguist / "languages.json", vocab, popular)

    curated = load_curated()
    skills = merge(
        curated_entries(curated),
        [lang_entries, onet_entries(onet, vocab, language_names), esco_entries(labels, vocab)],
    )
    skills_payload = {
        "attribution": ATTRIBUTION,
        "skills": skills,
        "domains": {name: list(words) for name, words in curated["domains"].items()},
    }
    titles_payload = build_titles(onet, curated)

    args.out.mkdir(parents=True, exist_ok=True)
    for name, payload in (("skills.json", skills_payload), ("titles.json", titles_payload)):
        blob = dump(payload)
        if len(blob) > MAX_BYTES:
            print(f"{name} is {len(blob)} bytes, over {MAX_BYTES}", file=sys.stderr)
            return 1
        (args.out / name).write_bytes(blob)
        print(f"wrote {args.out / name} ({len(blob):,} bytes)")
    counts = Counter(e["source"] for e in skills)
    print(
        "skills by source:", dict(sorted(counts.items())), "titles:", len(titles_payload["titles"])
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
