"""What a person sees, asserted: content inside the viewport, nothing on top of it, no
console error. Browser tests use these instead of "the element exists"."""

from __future__ import annotations

from dataclasses import dataclass, field

PERSON_VIEWPORT = {"width": 360, "height": 800}

# The rectangle of the element clipped by every scrolling ancestor and the viewport, and
# whether the topmost element at several points inside it is the element (or inside it).
_VISIBLE_JS = """
(el) => {
  const r = el.getBoundingClientRect();
  let top = Math.max(r.top, 0), bottom = Math.min(r.bottom, innerHeight);
  let left = Math.max(r.left, 0), right = Math.min(r.right, innerWidth);
  for (let p = el.parentElement; p; p = p.parentElement) {
    const style = getComputedStyle(p);
    if (/(auto|scroll|hidden)/.test(style.overflowY + style.overflowX)) {
      const pr = p.getBoundingClientRect();
      top = Math.max(top, pr.top); bottom = Math.min(bottom, pr.bottom);
      left = Math.max(left, pr.left); right = Math.min(right, pr.right);
    }
  }
  const shown = bottom - top >= Math.min(r.height, 8) && right - left >= Math.min(r.width, 8);
  const covered = [];
  if (shown) {
    const points = [[0.5, 0.5], [0.1, 0.5], [0.9, 0.5]];
    for (const [fx, fy] of points) {
      const x = left + (right - left) * fx, y = top + (bottom - top) * fy;
      const hit = document.elementFromPoint(x, y);
      if (hit && hit !== el && !el.contains(hit)) {
        covered.push(hit.tagName + "#" + hit.id + "." + hit.className);
      }
    }
  }
  const rect = [r.left, r.top, r.right, r.bottom];
  // Detached or not laid out: htmx swapped it out between finding and measuring.
  const swapping = !el.isConnected || (r.width === 0 && r.height === 0);
  return {shown, covered, rect, visible: [left, top, right, bottom], swapping};
}
"""


def seen(locator, attempts: int = 20) -> dict:
    """Where ``locator`` is and whether a person can see it (see ``_VISIBLE_JS``).

    An element htmx is swapping at that instant is measured again (the locator finds its
    replacement): a person sees the page after the swap, not the element in between."""
    for _ in range(attempts):
        locator.wait_for(state="visible")
        facts = locator.evaluate(_VISIBLE_JS)
        if not facts["swapping"]:
            return facts
        locator.page.wait_for_timeout(100)
    return facts


def assert_seen(locator, what: str) -> None:
    """``locator`` is inside the viewport and its scrolling ancestors, and nothing covers it."""
    facts = seen(locator)
    assert facts["shown"], f"{what} is outside the visible area: {facts}"
    assert not facts["covered"], f"{what} is covered by {facts['covered']}: {facts}"


@dataclass
class ConsoleWatch:
    """Console errors and uncaught page errors of one page."""

    errors: list[str] = field(default_factory=list)

    def attach(self, page) -> ConsoleWatch:
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        return self

    def assert_clean(self, expected_status: int | None = None) -> None:
        """No console error; ``expected_status`` allows the browser's and htmx's own lines
        about a response the test provoked on purpose (a 422 for a form with an error)."""
        errors = self.errors
        if expected_status is not None:
            errors = [e for e in errors if str(expected_status) not in e]
        assert not errors, f"console errors: {errors}"


def sign_in(page, base_url: str, extension_number: str = "101") -> None:
    """Sign in to the sidebar as a demo extension, the way a person does."""
    from playwright.sync_api import expect

    page.goto(base_url + "/auth/signin?next=/widget/")
    page.locator(f"label[data-extension-number='{extension_number}']").click()
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#rows li[data-conversation-id]").first).to_be_visible()
    wait_until_live(page)


def wait_until_live(scope) -> None:
    """The page is working, as a person reads it from the footer's "Live": its scripts have
    run. Rows show before that on a busy machine, and a click on one then follows the plain
    link instead of opening the thread in place."""
    from playwright.sync_api import expect

    expect(scope.locator("#realtime")).to_have_attribute("data-state", "live")


def signed_in_widget(page, host_url: str, extension_number: str = "101"):
    """The sidebar framed in the host page at ``host_url``, signed in as a demo extension
    and live; only the widget token in hx-headers from here on (the cookies are cleared)."""
    from playwright.sync_api import expect

    page.goto(host_url + "/")
    widget = page.frame_locator("#sidetalk")
    widget.locator(f"label[data-extension-number='{extension_number}']").click()
    widget.get_by_role("button", name="Sign in").click()
    expect(widget.locator("#rows li[data-conversation-id]").first).to_be_visible()
    wait_until_live(widget)  # rows show before the scripts run; a click then does nothing
    page.context.clear_cookies()
    return widget


def assert_thread_looks_right(page, what: str) -> None:
    """An open thread: its title, its newest message and its reply box (if any) are seen."""
    thread = page.locator("#thread article.thread")
    assert_seen(thread.locator(".thread-head h2"), f"{what}: the title")
    bubbles = thread.locator("li.bubble")
    if bubbles.count():
        assert_seen(bubbles.last, f"{what}: the newest message")
    reply = thread.locator("#reply-form textarea")
    if reply.count():
        assert_seen(reply, f"{what}: the reply box")


def settled(scope) -> None:
    """Wait until htmx has bound what it just swapped in. htmx inserts new markup at once
    but binds its hx- triggers when it settles (~20 ms later); an input typed in between
    is lost. A person never types that fast, a test does. ``scope`` is a page or a frame."""
    from playwright.sync_api import expect

    expect(scope.locator(".htmx-added")).to_have_count(0)


def open_compose(scope) -> None:
    """Click Compose and wait until its form is there and bound. A click that lands before
    htmx has bound the freshly signed-in page does nothing; like a person, click again."""
    from playwright.sync_api import TimeoutError as NothingYet

    form = scope.locator("#compose-form")
    for _ in range(3):
        scope.get_by_role("button", name="Compose").click()
        try:
            form.wait_for(timeout=5000)
        except NothingYet:
            continue
        break
    form.wait_for()
    settled(scope)


def open_conversation(page, conversation_id: int) -> None:
    """Open a conversation from the list, scrolling to its row first, as a person does."""
    row = page.locator(f"#conversation-{conversation_id}")
    row.scroll_into_view_if_needed()
    row.locator(".row-main").click()
    page.locator(f"#thread article.thread[data-conversation-id='{conversation_id}']").wait_for()


AXE = "vendor/axe-core-4.14.1.min.js"


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core (vendored for the tests) on the page; serious and critical findings."""
    from pathlib import Path

    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(Path(__file__).parent / AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in impacts
    ]
