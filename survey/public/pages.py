"""The survey cut into short pages, and the path a respondent takes through them.

A page is one element of the service sub-index (B1 … B5), or one other section of at most
five questions; the screeners open the survey on the first page. The path is the list of
pages and questions that apply given the screener answers (skip rules), so the progress a
respondent sees ("Câu 7–11/23") counts exactly the questions they will be asked. The policy
block counts as its four questions (one group per respondent) even when skipped: a person
who taps "Tôi không rõ chính sách này" sees the count move forward, never backward.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from analysis.instrument import Instrument, Item
from survey.instrument import field_name, policy_template

__all__ = ["MAX_PER_PAGE", "Page", "Path", "field_name", "page_list", "path_for", "policy_template"]

MAX_PER_PAGE = 5


@dataclass(frozen=True)
class Page:
    """One screen of questions: its id, the section it belongs to, and its items in order."""

    id: str
    section: str
    element: str | None
    items: tuple[Item, ...]

    def applies(self, screen: Mapping[str, int]) -> bool:
        """Whether any question of the page is asked, given the screener answers."""
        return any(i.applies(screen) for i in self.items)


@dataclass(frozen=True)
class Path:
    """The pages and numbered questions one respondent goes through."""

    pages: tuple[Page, ...]
    numbers: Mapping[str, int]  # field name -> question number, 1-based, continuous

    @property
    def total(self) -> int:
        """Questions on the path."""
        return len(self.numbers)

    def index(self, page_id: str | None) -> int:
        """Position of a page on the path (0 for an unknown or skipped page)."""
        ids = [p.id for p in self.pages]
        return ids.index(page_id) if page_id in ids else 0

    def span(self, page: Page) -> tuple[int, int]:
        """First and last question number of a page on this path."""
        nums = [self.numbers[field_name(i)] for i in page.items if field_name(i) in self.numbers]
        return (min(nums), max(nums)) if nums else (0, 0)


# Per instrument object: the app loads each instrument once per process (survey.instrument).
_PAGES: dict[int, tuple[Instrument, tuple[Page, ...]]] = {}


def page_list(ins: Instrument) -> tuple[Page, ...]:
    """Every page of the instrument in order, whatever the answers (cached per instrument)."""
    cached = _PAGES.get(id(ins))
    if cached is None or cached[0] is not ins:
        cached = _PAGES[id(ins)] = (ins, _build_pages(ins))
    return cached[1]


def _build_pages(ins: Instrument) -> tuple[Page, ...]:
    template = {i.code for i in policy_template(ins)}
    pages: list[Page] = []
    for section in ins.sections:
        items = [ins.items[c] for c in section.items if not ins.items[c].group or c in template]
        if section.id == "screen" or not any(i.element and not i.group for i in items):
            for start in range(0, len(items), MAX_PER_PAGE):
                chunk = tuple(items[start : start + MAX_PER_PAGE])
                suffix = f"-{start // MAX_PER_PAGE + 1}" if len(items) > MAX_PER_PAGE else ""
                pages.append(Page(section.id + suffix, section.id, None, chunk))
            continue
        by_element: dict[str, list[Item]] = {}
        for item in items:
            by_element.setdefault(item.element or section.id, []).append(item)
        for element, members in by_element.items():
            pages.append(
                Page(element, section.id, element if element in ins.elements else None, tuple(members))
            )
    return tuple(page for page in pages if page.items)


def path_for(ins: Instrument, screen: Mapping[str, int]) -> Path:
    """The pages that apply and the continuous question numbers, given the screener answers."""
    pages = tuple(p for p in page_list(ins) if p.applies(screen))
    numbers: dict[str, int] = {}
    for page in pages:
        for item in page.items:
            if item.applies(screen):
                numbers[field_name(item)] = len(numbers) + 1
    return Path(pages, numbers)
