"""The shipped taxonomy: required canonical names, aliases, ambiguity and reproducibility."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.analysis.taxonomy import Taxonomy, load_taxonomy
from bot.domain import SkillKind

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
TAXONOMY_DIR = ROOT / "data" / "taxonomy"

REQUIRED_NAMES = [
    "Python",
    "Java",
    "JavaScript",
    "TypeScript",
    "Go",
    "Rust",
    "C++",
    "C#",
    "C",
    "Ruby",
    "PHP",
    "Kotlin",
    "Swift",
    "Scala",
    "R",
    "SQL",
    "Bash",
    "HTML",
    "CSS",
    "React",
    "Angular",
    "Vue.js",
    "Node.js",
    "Django",
    "Flask",
    "FastAPI",
    "Spring",
    ".NET",
    "Docker",
    "Kubernetes",
    "AWS",
    "Azure",
    "Google Cloud",
    "Terraform",
    "Ansible",
    "Linux",
    "Git",
    "CI/CD",
    "Jenkins",
    "PostgreSQL",
    "MySQL",
    "MongoDB",
    "Redis",
    "Elasticsearch",
    "Kafka",
    "Apache Spark",
    "Hadoop",
    "REST APIs",
    "GraphQL",
    "Microservices",
    "Machine Learning",
    "TensorFlow",
    "PyTorch",
    "Pandas",
    "Data Analysis",
    "Selenium",
    "Test Automation",
    "Agile",
    "Excel",
    "Tableau",
    "Power BI",
    "Salesforce",
    "Computer Networking",
    "Information Security",
]


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return load_taxonomy()


def names(tax: Taxonomy, text: str) -> list[str]:
    return [m.entry.name for m in tax.find_skills(text)]


def test_required_canonical_names_exist_with_exact_spelling(tax: Taxonomy) -> None:
    for name in REQUIRED_NAMES:
        entry = tax.skill(name)
        assert entry is not None, name
        assert entry.name == name
        assert entry.source == "curated"


def test_json_files_are_small_and_attributed() -> None:
    for name in ("skills.json", "titles.json"):
        path = TAXONOMY_DIR / name
        assert path.stat().st_size < 1_500_000
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert any("O*NET 29.2" in line for line in doc["attribution"])
        assert any("ESCO" in line for line in doc["attribution"])
        assert any("linguist" in line for line in doc["attribution"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("React.js and ReactJS", "React"),
        ("we run k8s clusters", "Kubernetes"),
        ("Golang services", "Go"),
        ("Postgres 15", "PostgreSQL"),
        ("modern JS tooling", "JavaScript"),
        ("GCP or AWS", "Google Cloud"),
        ("Spring Boot microservices", "Spring"),
        ("Vue 3 and Nuxt", "Vue.js"),
        ("NodeJS backends", "Node.js"),
        ("ASP.NET Core", ".NET"),
        ("CI/CD pipelines", "CI/CD"),
        ("strong communication skills", "Communication"),
        ("patient-centred care on the ward", "patient-centred care"),
    ],
)
def test_aliases_map_to_canonical_names(tax: Taxonomy, text: str, expected: str) -> None:
    assert expected in names(tax, text)


def test_c_family_is_kept_apart(tax: Taxonomy) -> None:
    found = names(tax, "We write C, C++ and C# for embedded firmware.")
    assert found.count("C") == 1
    assert "C++" in found and "C#" in found
    assert "C" not in names(tax, "Present to C-level executives and the C-suite.")
    assert "C" not in names(tax, "Grade C or above in maths")


@pytest.mark.parametrize(
    "text",
    [
        "Go to market strategy for our new product line.",
        "You will go above and beyond for customers.",
        "Be a go-getter in a fast growing team.",
    ],
)
def test_go_as_ordinary_english_is_ignored(tax: Taxonomy, text: str) -> None:
    assert "Go" not in names(tax, text)


def test_go_in_programming_context(tax: Taxonomy) -> None:
    assert "Go" in names(tax, "Experience with Go and gRPC is required.")
    assert "Go" in names(tax, "Backend services written in Go")


def test_r_only_as_a_language(tax: Taxonomy) -> None:
    assert "R" in names(tax, "Statistical modelling in R or Python")
    assert "R" not in names(tax, "Our R&D department in Copenhagen")
    assert "R" not in names(tax, "R. Smith will be your manager")


def test_ambiguous_words_need_context(tax: Taxonomy) -> None:
    assert "Spring" not in names(tax, "Start date: Spring 2025")
    assert "Rust" not in names(tax, "Apply rust prevention coatings to steel")
    assert "Rust" in names(tax, "Systems programming in Rust")
    assert "Excel" not in names(tax, "You excel at building relationships")
    assert "Excel" in names(tax, "Advanced Excel skills (pivot tables)")


def test_kinds_and_evidence_offsets(tax: Taxonomy) -> None:
    text = "Python, Docker and teamwork"
    matches = tax.find_skills(text)
    kinds = {m.entry.name: m.entry.kind for m in matches}
    assert kinds["Python"] is SkillKind.LANGUAGE
    assert kinds["Docker"] is SkillKind.TOOL
    assert kinds["Teamwork"] is SkillKind.SOFT
    for m in matches:
        assert text[m.start : m.end]


def test_title_lookup(tax: Taxonomy) -> None:
    info = tax.title("software engineer")
    assert info is not None
    assert info.soc_code.startswith("15-")


def test_load_is_cached() -> None:
    assert load_taxonomy() is load_taxonomy()


def test_build_script_reproduces_committed_files(tmp_path: Path) -> None:
    if not (SHARED / "data" / "taxonomy" / "onet").is_dir():
        pytest.skip("../shared/data/taxonomy is absent (CI provides it at ../shared)")
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "build_taxonomy.py"),
            "--shared",
            str(SHARED),
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for name in ("skills.json", "titles.json"):
        assert (tmp_path / name).read_bytes() == (TAXONOMY_DIR / name).read_bytes(), name


def test_common_tools_are_their_own_skills(tax: Taxonomy) -> None:
    found = names(tax, "We use Confluence, Prometheus, Grafana and WPF with XAML.")
    assert {"Confluence", "Prometheus", "Grafana", "WPF", "XAML"} <= set(found)
    assert "Jira" not in found


def test_engineering_practices_are_not_soft_skills(tax: Taxonomy) -> None:
    kinds = {m.entry.name: m.entry.kind for m in tax.find_skills("code review and debugging")}
    assert kinds == {"Code Review": SkillKind.DOMAIN, "Debugging": SkillKind.DOMAIN}
    assert "Work Ethic" not in names(tax, "improving reliability of our services")


@pytest.mark.parametrize(
    ("text", "expected", "absent"),
    [
        ("Swift and SwiftUI for our iOS app", "Swift", None),
        ("a swift response to customers", None, "Swift"),
        ("Go developers wanted for backend services", "Go", None),
        ("data analysis in R and SQL", "R", None),
        ("k8s and Helm charts", "Kubernetes", None),
        ("C# and .NET", "C#", "C"),
    ],
)
def test_ambiguity_cases(
    tax: Taxonomy, text: str, expected: str | None, absent: str | None
) -> None:
    found = names(tax, text)
    if expected:
        assert expected in found
    if absent:
        assert absent not in found
