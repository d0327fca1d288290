"""One document: its page image beside its text, summary and extracted fields.

Document text and model output are only ever set as plain text: citations become links through
QTextCursor anchors on plain text, never by building HTML from what the model wrote.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QEvent, QRect, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QImage,
    QPainter,
    QPen,
    QPixmap,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QTextEdit,
    QToolTip,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import jobs
from app.jobs.exports import READ_UNSURELY
from app.jobs.runner import Job, JobState
from app.session import Session
from app.vault.documents import StoredDocument
from ui.extract_tab import ExtractTab
from ui.job_panel import status_text
from ui.jobs import JobQueue
from ui.revisions import (
    RevisionHistoryDialog,
    ask_about_unsaved_edits,
    ask_keep_corrections,
    plural,
)

REVIEW_COLOR = QColor(255, 214, 102, 140)  # low-confidence lines: amber, readable in dark mode
EVIDENCE_COLOR = QColor(102, 178, 255, 140)
UNGROUNDED_COLOR = QColor(231, 76, 60, 110)
CITATION = re.compile(r"\[(S\d+(?:\s*,\s*S\d+)*)\]")


def plain_label(text: str = "", object_name: str = "") -> QLabel:
    label = QLabel(text, objectName=object_name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def highlight(editor: QPlainTextEdit | QTextEdit, needles: list[str], color: QColor,
              tooltip: str = "") -> list[QTextEdit.ExtraSelection]:  # fmt: skip
    """Mark each needle's first occurrence (after the previous one) as an extra selection,
    never inside a longer word or number ("84" is not in "1984" nor "13.84"); returns the
    selections made."""
    text = editor.toPlainText()
    selections = []
    position = 0
    fmt = QTextCharFormat()
    fmt.setBackground(QBrush(color))
    if tooltip:
        fmt.setToolTip(tooltip)
    for needle in needles:
        needle = needle.strip()
        if not needle:
            continue
        start = r"(?<!\w)(?<!\d[.,])" if needle[0].isalnum() else ""
        end = r"(?!\w)(?![.,]\d)" if needle[-1].isalnum() else ""
        pattern = re.compile(start + re.escape(needle) + end)
        found = pattern.search(text, position) or pattern.search(text)
        if found is None:
            continue
        at = found.start()
        selection = QTextEdit.ExtraSelection()
        selection.cursor = QTextCursor(editor.document())
        selection.cursor.setPosition(at)
        selection.cursor.setPosition(at + len(needle), QTextCursor.MoveMode.KeepAnchor)
        selection.format = fmt
        selections.append(selection)
        position = at + len(needle)
    editor.setExtraSelections(selections)
    return selections


PASSAGE_COLOR = QColor(30, 144, 255)
PASSAGE_FILL = QColor(30, 144, 255, 50)  # the words stay readable under it


class PageStore(Protocol):
    """Where the page view reads pages (app.session.Session is one)."""

    def pages_to_show(self, document_id: int) -> list[jobs.PageToShow]: ...
    def render_pdf_page(self, document_id: int, number: int) -> bytes: ...
    def passage_boxes(self, document_id: int, passage: str) -> list[tuple[int, tuple]]: ...


class PageView(QWidget):
    """The page as it looks: the scan or photo, a PDF page drawn by pdfium, or for documents
    without page images (DOCX, plain text) the page's text on paper. Pages are decoded and
    drawn off the GUI thread. A passage of the text can be outlined where it is on the page."""

    def __init__(self, store: PageStore, tasks: JobQueue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pageView")
        self.store = store
        self.tasks = tasks
        self.pages: list[jobs.PageToShow] = []
        self.images: dict[int, QImage] = {}  # page number -> decoded or drawn image
        self._drawing: set[int] = set()  # PDF pages being drawn
        self.boxes: dict[int, list[tuple]] = {}  # page number -> the passage's boxes
        self.zoom = 1.0
        self.fit_width = True
        self.document_id: int | None = None
        self.page = QSpinBox(objectName="pageSelector")
        self.page.setAccessibleName("Page")
        self.page.setPrefix("Page ")
        self.page.valueChanged.connect(self._render)
        self.zoom_label = plain_label("", "zoomLabel")
        buttons = []
        for text, name, slot in (("−", "zoomOutButton", lambda: self.zoom_by(0.8)),
                                 ("+", "zoomInButton", lambda: self.zoom_by(1.25)),
                                 ("Fit", "zoomFitButton", self.fit)):  # fmt: skip
            button = QPushButton(text, objectName=name)
            button.setAccessibleName({"−": "Zoom out", "+": "Zoom in"}.get(text, "Fit width"))
            button.clicked.connect(slot)
            buttons.append(button)
        self.image = QLabel(objectName="pageImage")
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setTextFormat(Qt.TextFormat.PlainText)
        self.image.setAccessibleName("Page image")
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.image)
        self.scroll.setWidgetResizable(True)
        self.scroll.setAlignment(Qt.AlignmentFlag.AlignCenter)

        bar = QHBoxLayout()
        bar.addWidget(self.page)
        bar.addStretch(1)
        bar.addWidget(self.zoom_label)
        for button in buttons:
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.scroll, 1)
        self.show_document(None)

    def show_document(self, document: StoredDocument | None) -> None:
        self.document_id = document.id if document else None
        self.pages, self.images, self.boxes, self._drawing = [], {}, {}, set()
        self.page.setRange(1, max(1, document.page_count if document else 1))
        self._show_text("Loading the page…" if document else "", paper=False)
        if document is None:
            return
        store, document_id = self.store, document.id

        def decode(progress, cancel):
            pages, images = store.pages_to_show(document_id), {}
            for page in pages:
                cancel.raise_if_cancelled()
                if page.image:
                    images[page.number] = QImage.fromData(page.image)
            return document_id, pages, images

        self.tasks.submit("Open the pages", decode, on_success=self._loaded)

    def _loaded(self, loaded: tuple) -> None:
        document_id, pages, images = loaded
        if document_id != self.document_id:  # the user moved on meanwhile
            return
        self.pages, self.images = pages, images
        self.page.setRange(1, max(1, len(pages)))
        self._render()

    def _draw_pdf_page(self, number: int) -> None:
        """Draw a PDF page that was read from its text layer, off the GUI thread."""
        if number in self._drawing:
            return
        self._drawing.add(number)
        store, document_id = self.store, self.document_id

        def draw(progress, cancel):
            return document_id, number, QImage.fromData(store.render_pdf_page(document_id, number))

        def drawn(result) -> None:
            if result[0] == self.document_id:
                self.images[result[1]] = result[2]
                self._render()

        def failed(sentence: str) -> None:
            if document_id == self.document_id:
                self._show_text(sentence, paper=False)

        self.tasks.submit("Draw the page", draw, on_success=drawn, on_failure=failed)

    def show_passage(self, passage: str) -> None:
        """Outline where `passage` (from the text, or a field's evidence) is on the pages."""
        if self.document_id is None:
            return
        store, document_id = self.store, self.document_id

        def find(progress, cancel):
            return document_id, store.passage_boxes(document_id, passage)

        self.tasks.submit("Find the passage on the page", find, on_success=self._passage_found)

    def _passage_found(self, found: tuple) -> None:
        document_id, boxes = found
        if document_id != self.document_id:
            return
        self.boxes = {}
        for number, box in boxes:
            self.boxes.setdefault(number, []).append(box)
        if self.boxes and self.page.value() not in self.boxes:
            self.page.setValue(min(self.boxes))  # renders
        else:
            self._render()
        self._scroll_to_box()

    def _scroll_to_box(self) -> None:
        boxes = self.boxes.get(self.page.value())
        if not boxes:
            return
        scale = self._current_scale()
        x0, y0, x1, y1 = boxes[0]
        self.scroll.ensureVisible(round((x0 + x1) / 2 * scale), round((y0 + y1) / 2 * scale),
                                  50, 80)  # fmt: skip

    def zoom_by(self, factor: float) -> None:
        self.zoom = min(8.0, max(0.1, self._current_scale() * factor))
        self.fit_width = False
        self._render()

    def fit(self) -> None:
        self.fit_width = True
        self._render()

    def _current_page(self) -> jobs.PageToShow | None:
        index = self.page.value() - 1
        return self.pages[index] if 0 <= index < len(self.pages) else None

    def _current_image(self) -> QImage | None:
        page = self._current_page()
        return self.images.get(page.number) if page else None

    def _current_scale(self) -> float:
        image = self._current_image()
        if not self.fit_width or image is None or image.isNull():
            return self.zoom
        return max(0.05, (self.scroll.viewport().width() - 4) / image.width())

    def _show_text(self, text: str, paper: bool) -> None:
        self.image.setPixmap(QPixmap())
        self.image.setWordWrap(paper)
        self.image.setAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
            if paper
            else Qt.AlignmentFlag.AlignCenter
        )
        # The page's own text, laid out on paper: black on white in light and dark mode alike.
        self.image.setStyleSheet(
            "QLabel { background: white; color: black; padding: 28px; }" if paper else ""
        )
        self.image.setText(text)
        self.zoom_label.clear()

    def _render(self) -> None:
        page = self._current_page()
        image = self._current_image()
        if page is None:
            self._show_text("", paper=False)
            return
        if image is None or image.isNull():
            if page.renderable:
                self._show_text("Drawing the page…", paper=False)
                self._draw_pdf_page(page.number)
            else:
                self._show_text(page.text or "This page is empty.", paper=True)
            return
        scale = self._current_scale()
        if self.boxes.get(page.number):
            image = image.convertToFormat(QImage.Format.Format_RGB32)
            painter = QPainter(image)
            pen = QPen(PASSAGE_COLOR)
            pen.setWidth(max(2, round(1.5 / scale)))  # about 1.5 screen pixels at any zoom
            painter.setPen(pen)
            painter.setBrush(PASSAGE_FILL)
            for x0, y0, x1, y1 in self.boxes[page.number]:
                margin = pen.width()
                painter.drawRect(QRect(x0 - margin, y0 - margin, x1 - x0 + 2 * margin,
                                       y1 - y0 + 2 * margin))  # fmt: skip
            painter.end()
        self.image.setStyleSheet("")
        self.image.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.image.setPixmap(
            QPixmap.fromImage(image).scaledToWidth(
                max(1, round(image.width() * scale)), Qt.TransformationMode.SmoothTransformation
            )
        )
        self.zoom_label.setText(f"{scale:.0%}")

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.fit_width:
            self._render()


class TextEditor(QPlainTextEdit):
    """Tab and Shift+Tab move the focus on, as everywhere else in the window; Ctrl+Tab types a
    tab character. Highlighted passages show their tooltip under the mouse."""

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName=object_name)
        self.setTabChangesFocus(True)

    def event(self, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Tab
            and event.modifiers() == Qt.KeyboardModifier.ControlModifier
        ):
            if not self.isReadOnly():
                self.insertPlainText("\t")
            return True
        return super().event(event)

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            position = self.cursorForPosition(event.pos()).position()
            for selection in self.extraSelections():
                cursor = selection.cursor
                tip = selection.format.toolTip()
                if tip and cursor.selectionStart() <= position < cursor.selectionEnd():
                    QToolTip.showText(event.globalPos(), tip, self.viewport())
                    return True
            QToolTip.hideText()
            return True
        return super().viewportEvent(event)


REVIEW_TOOLTIP = "Read with low confidence: check it against the page"


class TextResults(Protocol):
    """Where the text tab reads its history and saves the user's edits (Session is one)."""

    def revisions(self, result_id: int) -> list[jobs.Revision]: ...
    def edit_result(self, result_id: int, content: dict[str, Any]) -> jobs.Result: ...


class TextTab(QWidget):
    """The digitized text, editable; saving stores a new revision."""

    digitize_requested = Signal()
    resume_requested = Signal()

    def __init__(self, results: TextResults, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("textTab")
        self.results = results
        self.result: jobs.Result | None = None
        self.made_by = ""
        self.review_lines: list[str] = []
        self.editor = TextEditor("digitizedText")
        self.editor.setAccessibleName("Digitized text")
        self.editor.document().modificationChanged.connect(self._update_buttons)
        # Recount the lines still to review once the user pauses typing.
        self._review_delay = QTimer(self, singleShot=True, interval=300)
        self._review_delay.timeout.connect(self._mark_review_lines)
        self.editor.textChanged.connect(self._review_delay.start)
        self.status = plain_label("", "textStatus")
        self.status.setWordWrap(True)  # a long engine name must not widen the window
        self.digitize_button = QPushButton("Digitize", objectName="digitizeButton")
        self.digitize_button.setToolTip("Read the text of every page (Ctrl+D)")
        self.digitize_button.clicked.connect(self.digitize_requested)
        self.save_button = QPushButton("Save edits", objectName="saveTextButton")
        self.save_button.setToolTip("Store the corrected text as a new revision (Ctrl+S)")
        self.save_button.clicked.connect(self.save)
        self.pending = plain_label("", "pendingPages")
        self.pending.setWordWrap(True)
        self.resume_button = QPushButton("&Resume", objectName="resumeDigitizeButton")
        self.resume_button.setToolTip("Read the pages not read yet; the others are kept")
        self.resume_button.clicked.connect(self.resume_requested)
        self.pending_bar = QWidget(objectName="pendingBar")
        pending_layout = QHBoxLayout(self.pending_bar)
        pending_layout.setContentsMargins(0, 0, 0, 0)
        pending_layout.addWidget(self.pending, 1)
        pending_layout.addWidget(self.resume_button)
        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        bar.addWidget(self.digitize_button)
        bar.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.pending_bar)
        layout.addWidget(self.editor, 1)
        self.show_result(None)

    def show_result(self, result: jobs.Result | None) -> None:
        self.result = result
        self.editor.setPlainText(result.content.get("text", "") if result else "")
        self.editor.setReadOnly(result is None)
        self.editor.document().setModified(False)
        self.review_lines = [
            line["text"]
            for page in (result.content.get("pages", []) if result else [])
            for line in page.get("lines", [])
            if line.get("needs_review")
        ]
        self.made_by = ""
        if result is None:
            self.editor.setPlaceholderText("Not digitized yet: press Digitize (Ctrl+D).")
        else:
            history = self.results.revisions(result.result_id)
            self.made_by = next(
                (r.description for r in history if r.revision == result.revision), ""
            )
        pending = jobs.pending_pages(result.content) if result else []
        self.pending_bar.setVisible(bool(pending))
        if pending:
            total = len(result.content["pages"])
            self.pending.setText(
                f"{plural(len(pending), 'page')} of {total} not read yet (the digitize was"
                f" cancelled): pages {_ranges(pending)}."
            )
        self._review_delay.stop()
        self._mark_review_lines()
        self._update_buttons()

    def _mark_review_lines(self) -> None:
        """Highlight the low-confidence lines still in the text; a corrected line drops out."""
        if self.result is None:
            self.status.setText("")
            return
        found = highlight(self.editor, self.review_lines, REVIEW_COLOR, REVIEW_TOOLTIP)
        parts = [f"Revision {self.result.revision}", self.made_by]
        if found:
            parts.append(f"{plural(len(found), 'line')} highlighted for review")
        self.status.setText("  ·  ".join(part for part in parts if part))

    @property
    def has_unsaved_edits(self) -> bool:
        return self.result is not None and self.editor.document().isModified()

    def save(self) -> None:
        if not self.has_unsaved_edits:
            return
        assert self.result is not None
        content = {**self.result.content, "text": self.editor.toPlainText()}
        self.show_result(self.results.edit_result(self.result.result_id, content))

    def discard(self) -> None:
        self.show_result(self.result)

    def _update_buttons(self) -> None:
        self.save_button.setEnabled(self.has_unsaved_edits)


def _ranges(numbers: list[int]) -> str:
    """ "7–8, 10" for [7, 8, 10]."""
    spans: list[list[int]] = []
    for number in numbers:
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in spans)


class SummaryTab(QWidget):
    """The summary, streamed while it is generated; citations link to their sections."""

    summarize_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("summaryTab")
        self.result: jobs.Result | None = None
        self.streaming = False  # the text shown is a summary still being generated
        self.sections: dict[str, dict[str, Any]] = {}
        self.text = QTextBrowser(objectName="summaryText")
        self.text.setAccessibleName("Summary")
        self.text.setOpenLinks(False)
        self.text.anchorClicked.connect(self._citation_clicked)
        self.status = plain_label("", "summaryStatus")
        self.status.setWordWrap(True)
        self.summarize_button = QPushButton("Summarize", objectName="summarizeButton")
        self.summarize_button.setToolTip("Summarize this document with the local model (Ctrl+M)")
        self.summarize_button.clicked.connect(self.summarize_requested)
        self.ungrounded = QListWidget(objectName="ungroundedList")
        self.ungrounded.setAccessibleName("Not found in the source")
        self.ungrounded_label = plain_label(
            "⚠ Not found in the source — check these before relying on the summary:",
            "ungroundedLabel",
        )
        self.read_unsurely = QListWidget(objectName="readUnsurelyList")
        self.read_unsurely.setAccessibleName(READ_UNSURELY)
        self.read_unsurely_label = plain_label(f"? {READ_UNSURELY}:", "readUnsurelyLabel")
        self.coverage = plain_label("", "summaryCoverage")
        self.coverage.setWordWrap(True)
        self.section_title = plain_label(
            "Sections of the source: expand one to read it; a citation such as [S1] opens it.",
            "sectionTitle",
        )
        self.section_title.setWordWrap(True)
        self.section_list = QTreeWidget(objectName="sectionList")
        self.section_list.setAccessibleName("Sections of the source")
        self.section_list.setHeaderHidden(True)
        self.section_list.setWordWrap(True)
        self.section_list.itemExpanded.connect(self._section_expanded)

        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        bar.addWidget(self.summarize_button)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.ungrounded_label)
        lower_layout.addWidget(self.ungrounded)
        lower_layout.addWidget(self.read_unsurely_label)
        lower_layout.addWidget(self.read_unsurely)
        lower_layout.addWidget(self.section_title)
        lower_layout.addWidget(self.section_list, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.text)
        splitter.addWidget(lower)
        splitter.setSizes([300, 200])
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.coverage)
        layout.addWidget(splitter, 1)
        self.show_result(None)

    def start_streaming(self, streamed: str = "") -> None:
        """Show a summary being generated, from the text `streamed` so far."""
        self.result = None  # what shows is no stored summary
        self.text.clear()
        self.sections = {}
        self._show_checks([], [])
        self.section_list.clear()
        self.coverage.clear()
        self.status.setText("Generating…")
        self.streaming = True
        self.append_streamed(streamed)

    def append_streamed(self, piece: str) -> None:
        cursor = self.text.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(piece)  # plain text, whatever the model wrote
        self.text.ensureCursorVisible()

    def show_result(self, result: jobs.Result | None) -> None:
        self.result = result
        self.streaming = False
        self.text.clear()
        self.section_list.clear()
        self.coverage.clear()
        if result is None:
            self.sections = {}
            self.text.setPlaceholderText("No summary yet: press Summarize (Ctrl+M).")
            self.status.clear()
            self._show_checks([], [])
            return
        content = result.content
        self.sections = {section["id"]: section for section in content.get("sections", [])}
        self._write_with_citations(content.get("summary", ""))
        self._list_sections(content.get("summary", ""))
        items = [_item_text(item) for item in content.get("ungrounded", [])]
        doubted = [_item_text(item) for item in content.get("read_unsurely", [])]
        self._show_checks(items, doubted)
        marked = highlight(self.text, items, UNGROUNDED_COLOR, "Not found in the source")
        marked += highlight(self.text, doubted, REVIEW_COLOR, READ_UNSURELY)
        self.text.setExtraSelections(marked)  # each call above set only its own
        self.status.setText(
            f"Revision {result.revision}  ·  {plural(len(self.sections), 'section')}"
        )

    def _show_checks(self, ungrounded: list[str], read_unsurely: list[str]) -> None:
        """The facts to check, each list shown only when it has some."""
        for widget, label, items in ((self.ungrounded, self.ungrounded_label, ungrounded),
                                     (self.read_unsurely, self.read_unsurely_label, read_unsurely)):
            widget.clear()
            widget.addItems(items)
            label.setVisible(bool(items))
            widget.setVisible(bool(items))

    def _write_with_citations(self, summary: str) -> None:
        cursor = QTextCursor(self.text.document())
        plain = QTextCharFormat()
        position = 0
        for match in CITATION.finditer(summary):
            cursor.insertText(summary[position : match.start()], plain)
            cursor.insertText("[", plain)
            for index, section_id in enumerate(re.findall(r"S\d+", match.group(1))):
                if index:
                    cursor.insertText(", ", plain)
                link = QTextCharFormat()
                link.setAnchor(True)
                link.setAnchorHref(f"section:{section_id}")
                link.setForeground(self.palette().link())
                link.setFontUnderline(True)
                link.setToolTip(self.sections.get(section_id, {}).get("title", section_id))
                cursor.insertText(section_id, link)
            cursor.insertText("]", plain)
            position = match.end()
        cursor.insertText(summary[position:], plain)

    def _list_sections(self, summary: str) -> None:
        """Each section of the source, whether the summary cites it, its text one click away;
        and above, how much of the source the summary covers."""
        cited = {i for match in CITATION.finditer(summary) for i in re.findall(r"S\d+", match[1])}
        for section_id, section in self.sections.items():
            where = "cited" if section_id in cited else "not in the summary"
            item = QTreeWidgetItem([f"{section_id} — {section.get('title', '')}  ({where})"])
            item.setData(0, Qt.ItemDataRole.UserRole, section_id)
            item.setChildIndicatorPolicy(QTreeWidgetItem.ChildIndicatorPolicy.ShowIndicator)
            self.section_list.addTopLevelItem(item)
        self.coverage.setText(summary_coverage(self.sections, cited))

    def _section_expanded(self, item: QTreeWidgetItem) -> None:
        """The section's source text, made when first opened (plain text, wrapped)."""
        if item.childCount():
            return
        section = self.sections[item.data(0, Qt.ItemDataRole.UserRole)]
        child = QTreeWidgetItem(item)
        label = plain_label(section.get("text") or section.get("summary", ""), "sectionSource")
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.section_list.setItemWidget(child, 0, label)

    def show_section(self, section_id: str) -> None:
        """Open a section in place and bring it into view."""
        section = self.sections.get(section_id)
        if section is None:
            self.section_title.setText(f"{section_id}: no such section in this document")
            return
        self.section_title.setText(f"{section_id} — {section.get('title', '')}")
        for index in range(self.section_list.topLevelItemCount()):
            item = self.section_list.topLevelItem(index)
            if item.data(0, Qt.ItemDataRole.UserRole) == section_id:
                item.setExpanded(True)
                self.section_list.setCurrentItem(item)
                self.section_list.scrollToItem(item, QTreeWidget.ScrollHint.PositionAtTop)

    def _citation_clicked(self, url: QUrl) -> None:
        if url.scheme() == "section":
            self.show_section(url.path())


def summary_coverage(sections: dict[str, dict[str, Any]], cited: set[str]) -> str:
    """ "Covers 3 of 4 sections (82% of the source text); not in the summary: S4." """
    if not sections:
        return ""
    total = sum(len(s.get("text", "")) for s in sections.values()) or 1
    covered = sum(len(s.get("text", "")) for i, s in sections.items() if i in cited)
    left_out = [i for i in sections if i not in cited]
    sentence = (
        f"Covers {len(sections) - len(left_out)} of {plural(len(sections), 'section')}"
        f" ({covered / total:.0%} of the source text)"
    )
    return f"{sentence}; not in the summary: {', '.join(left_out)}." if left_out else f"{sentence}."


def _item_text(item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and isinstance(item.get("text"), str):
        return item["text"]
    return json.dumps(item, ensure_ascii=False)


class DocumentJobBar(QWidget):
    """The job running on the shown document, above its tabs: what it does, progress, Cancel."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("documentJob")
        self.job: Job | None = None
        self.label = plain_label("", "documentJobStatus")
        self.label.setWordWrap(True)
        self.progress = QProgressBar(objectName="documentJobProgress")
        self.progress.setMaximumWidth(180)
        self.progress.setAccessibleName("Progress of the running job")
        self.cancel = QPushButton("Cancel", objectName="documentJobCancel")
        self.cancel.clicked.connect(lambda: self.job and self.job.cancel())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.cancel)
        self.show_job(None)

    def show_job(self, job: Job | None) -> None:
        self.job = job
        self.setVisible(job is not None)
        if job is None:
            return
        status = "Cancelling…" if job.cancel_token.cancelled else status_text(job)
        self.label.setText(f"{job.title}: {status}")
        if job.state is JobState.RUNNING and job.total:
            self.progress.setRange(0, job.total)
            self.progress.setValue(min(job.done, job.total))
        else:
            self.progress.setRange(0, 0)  # waiting, or the total is not known yet
        self.cancel.setEnabled(not job.cancel_token.cancelled)


class DocumentView(QWidget):
    """The page on the left, the tabs on the right."""

    def __init__(self, session: Session, tasks: JobQueue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("documentView")
        self.session = session
        self.document: StoredDocument | None = None
        self._job_documents: dict[int, int] = {}  # job id -> the document it works on
        self._running: dict[int, Job] = {}  # those jobs, until they end
        self.title = plain_label("", "documentTitle")
        self.title.setWordWrap(True)  # long file names wrap rather than widen the window
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.page_view = PageView(session, tasks)
        self.text_tab = TextTab(session)
        self.summary_tab = SummaryTab()
        self.extract_tab = ExtractTab(session)
        self.tabs = QTabWidget(objectName="documentTabs")
        self.tabs.addTab(self.text_tab, "T&ext")
        self.tabs.addTab(self.summary_tab, "S&ummary")
        self.tabs.addTab(self.extract_tab, "E&xtract")
        self.history_button = QPushButton("&History…", objectName="historyButton")
        self.history_button.setToolTip(
            "Every revision of this tab's result: compare with the current one, restore"
        )
        self.history_button.clicked.connect(self.show_history)
        self.tabs.setCornerWidget(self.history_button)
        self.tabs.currentChanged.connect(lambda _: self._update_history_button())
        self.job_bar = DocumentJobBar()
        # A passage selected in the text, or a field's evidence, is outlined on the page.
        self._passage = ""
        self._passage_delay = QTimer(self, singleShot=True, interval=250)
        self._passage_delay.timeout.connect(lambda: self.page_view.show_passage(self._passage))
        for editor in (self.text_tab.editor, self.extract_tab.source_text):
            editor.selectionChanged.connect(lambda editor=editor: self._passage_selected(editor))
        splitter = QSplitter(objectName="documentSplitter")
        splitter.addWidget(self.page_view)
        splitter.addWidget(self.tabs)
        splitter.setSizes([450, 550])
        self.placeholder = plain_label(
            "Select a document on the left, or drop files and folders on this window.",
            "documentPlaceholder",
        )
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.job_bar)
        layout.addWidget(self.placeholder, 1)
        layout.addWidget(splitter, 1)
        self.splitter = splitter
        self.show_document(None)

    def show_document(self, document: StoredDocument | None) -> None:
        """Show a document (None: none). Opening another document is audited before it shows;
        showing the same one again (its page count or case changed) is not a new opening."""
        if document is not None and (self.document is None or self.document.id != document.id):
            self.session.record_view(document.id)
        self.document = document
        self.placeholder.setVisible(document is None)
        self.splitter.setVisible(document is not None)
        pages = plural(document.page_count, "page") if document else ""
        self.title.setText(f"{document.name}  ·  {pages}" if document else "")
        self.page_view.show_document(document)
        self.reload_results()
        self._show_running_job()

    def reload_results(self) -> None:
        """Show the document's current results; unsaved text edits are left in the editor."""
        document_id = self.document.id if self.document else None

        def latest(kind: str) -> jobs.Result | None:
            return self.session.latest_result(document_id, kind) if document_id else None

        digitized = latest("digitize")
        editing = self.text_tab.has_unsaved_edits and self.text_tab.result is not None
        if not (editing and digitized and self.text_tab.result.document_id == document_id):
            self.text_tab.show_result(digitized)
        self.summary_tab.show_result(latest("summarize"))
        self.extract_tab.show_result(
            latest("extract"), digitized.content.get("text", "") if digitized else ""
        )
        self._update_history_button()

    def hideEvent(self, event) -> None:
        self._passage_delay.stop()  # the window is closing or locking: no more page work
        super().hideEvent(event)

    def _passage_selected(self, editor: QPlainTextEdit) -> None:
        passage = editor.textCursor().selectedText().replace("\u2029", "\n").strip()
        if len(passage) >= 3 and passage != self._passage:
            self._passage = passage
            self._passage_delay.start()

    # -- questions before the record changes ----------------------------------------------

    def resolve_unsaved_edits(
        self, then: Callable[[], None], on_cancel: Callable[[], None] | None = None
    ) -> None:
        """Call `then` once the text has no unsaved edits, asking Save / Discard / Cancel
        first if it has; on Cancel, `on_cancel` instead."""
        if not self.text_tab.has_unsaved_edits:
            then()
            return

        def chosen(choice: str) -> None:
            if choice == "cancel":
                if on_cancel is not None:
                    on_cancel()
                self.tabs.setCurrentWidget(self.text_tab)
                self.text_tab.editor.setFocus()
                return
            if choice == "save":
                self.text_tab.save()
            else:
                self.text_tab.discard()
            then()

        ask_about_unsaved_edits(self, chosen)

    def before_rerun(self, kind: str, run: Callable[[bool], None], template: str = "") -> None:
        """Before a job runs again on this document: settle unsaved edits, then, if the user
        corrected the job's last output, ask whether to keep the corrections (the default).
        `run(keep_corrections)` is not called if the user cancels."""

        def ask() -> None:
            if self.document is None:
                return
            if kind == "extract":
                current = self.session.latest_extract(self.document.id, template)
            else:
                current = self.session.latest_result(self.document.id, kind)
            if current is None or not self.session.has_corrections(current):
                run(True)
            else:
                ask_keep_corrections(self, kind, run)

        self.resolve_unsaved_edits(ask)

    # -- history ---------------------------------------------------------------------------

    def current_result(self) -> jobs.Result | None:
        """The result of the tab shown."""
        tab = self.tabs.currentWidget()
        return tab.result if tab in (self.text_tab, self.summary_tab, self.extract_tab) else None

    def _update_history_button(self) -> None:
        self.history_button.setEnabled(self.current_result() is not None)

    def show_history(self) -> RevisionHistoryDialog | None:
        def open_dialog() -> None:
            result = self.current_result()
            if result is None or self.document is None:
                return
            title = f"{self.document.name} · {self.tabs.tabText(self.tabs.currentIndex())}"
            dialog = RevisionHistoryDialog(self.session, result, title.replace("&", ""), self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.restored.connect(lambda _: self.reload_results())
            dialog.open()
            self.history_dialog = dialog

        self.history_dialog: RevisionHistoryDialog | None = None
        self.resolve_unsaved_edits(open_dialog)
        return self.history_dialog

    # -- the jobs running on documents -----------------------------------------------------

    def track_job(self, queue: JobQueue, job: Job, document_id: int) -> None:
        """Show `job`'s progress above the tabs while its document is shown."""
        if not self._job_documents:
            queue.changed.connect(self._job_changed, Qt.ConnectionType.UniqueConnection)
        self._job_documents[job.id] = document_id
        self._running[job.id] = job
        self._show_running_job()

    def _job_changed(self, job: Job) -> None:
        document_id = self._job_documents.get(job.id)
        if document_id is None:
            return
        if job.state.is_final:
            del self._running[job.id]
            del self._job_documents[job.id]
            shown = self.document is not None and self.document.id == document_id
            if shown and job.state is JobState.CANCELLED:
                self.reload_results()  # a cancelled digitize keeps the pages it read
        self._show_running_job()

    def _show_running_job(self) -> None:
        shown = self.document.id if self.document else None
        jobs_here = [j for i, j in self._running.items() if self._job_documents[i] == shown]
        running = [j for j in jobs_here if j.state is JobState.RUNNING]
        self.job_bar.show_job((running or jobs_here or [None])[0])
