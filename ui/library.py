"""The document list: every document in the vault by case and type, with full-text search."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.vault.cases import Case
from app.vault.documents import SearchHit, StoredDocument
from ui.jobs import JobQueue

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# (label, test on the media type)
TYPE_FILTERS = (
    ("All types", lambda media_type: True),
    ("Images", lambda media_type: media_type.startswith("image/")),
    ("PDF", lambda media_type: media_type == "application/pdf"),
    ("Word documents", lambda media_type: media_type == DOCX),
    ("Text", lambda media_type: media_type.startswith("text/")),
)
TYPE_NAMES = {"application/pdf": "PDF", DOCX: "Word", "text/plain": "Text"}
# The case filter's entries besides the cases themselves (whose entries hold their ids).
ALL_DOCUMENTS = "all"
NO_CASE = "none"


def type_name(media_type: str) -> str:
    if media_type.startswith("image/"):
        return "Image"
    return TYPE_NAMES.get(media_type, media_type)


class LibraryStore(Protocol):
    """What the library lists and searches (app.session.Session is one)."""

    def cases(self) -> list[Case]: ...
    def documents(self) -> list[StoredDocument]: ...
    def search(self, query: str, limit: int = 50, *, audited: bool = True) -> list[SearchHit]: ...


class LibraryPanel(QWidget):
    """Shows documents; the workspace acts on its requests (new case, move to a case)."""

    document_selected = Signal(object)  # StoredDocument or None

    def __init__(self, store: LibraryStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("library")
        self.store = store
        self.known: dict[int, StoredDocument] = {}  # every document in the vault, by id
        # Searches run off the GUI thread (each one commits its audit event), not in the job panel.
        self.searches = JobQueue(self)
        self._search_job = None
        self._found_query = ""  # the words the shown results are for
        self._found: dict[int, str] = {}  # where they were found, by document id
        self.case_filter = QComboBox(objectName="caseFilter")
        self.case_filter.setAccessibleName("Case")
        # A long case title is elided rather than widening the panel.
        self.case_filter.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.case_filter.setMinimumContentsLength(12)
        case_label = QLabel("Ca&se:")
        case_label.setBuddy(self.case_filter)
        self.new_case_button = QPushButton("New case…", objectName="newCaseButton")
        self.new_case_button.setToolTip("Make a case to group documents in (Ctrl+Shift+N)")
        self.search_field = QLineEdit(objectName="librarySearch")
        self.search_field.setPlaceholderText("Search documents")
        self.search_field.setAccessibleName("Search documents")
        self.search_field.setClearButtonEnabled(True)
        self.type_filter = QComboBox(objectName="libraryFilter")
        self.type_filter.setAccessibleName("Document type")
        self.type_filter.addItems([label for label, _ in TYPE_FILTERS])
        self.tree = QTreeWidget(objectName="documentList")
        self.tree.setAccessibleName("Documents")
        self.tree.setRootIsDecorated(False)
        self.tree.setWordWrap(True)
        self.no_matches = QLabel(objectName="noMatches")
        self.no_matches.setTextFormat(Qt.TextFormat.PlainText)
        self.no_matches.setWordWrap(True)
        self.no_matches.hide()
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setSortingEnabled(True)
        self.tree.sortByColumn(3, Qt.SortOrder.DescendingOrder)
        self.tree.currentItemChanged.connect(self._current_changed)
        # The context menu; the workspace connects these (the main menu has the shortcuts).
        self.move_action = QAction("Move to case…", self, objectName="contextMoveToCase")
        self.new_case_action = QAction("New case…", self, objectName="contextNewCase")
        self.tree.addActions([self.move_action, self.new_case_action])
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        # Search as the user types, once they pause.
        self._search_delay = QTimer(self, singleShot=True, interval=250)
        self._search_delay.timeout.connect(lambda: self._search(audited=True))
        self.search_field.textChanged.connect(self._search_delay.start)
        self.type_filter.currentIndexChanged.connect(self._show)
        self.case_filter.currentIndexChanged.connect(self._show)

        cases = QHBoxLayout()
        cases.addWidget(case_label)
        cases.addWidget(self.case_filter, 1)
        cases.addWidget(self.new_case_button)
        filters = QHBoxLayout()
        filters.addWidget(self.search_field, 1)
        filters.addWidget(self.type_filter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(cases)
        layout.addLayout(filters)
        layout.addWidget(self.no_matches)
        layout.addWidget(self.tree, 1)

    def focus_search(self) -> None:
        self.search_field.setFocus()
        self.search_field.selectAll()

    def refresh(self) -> None:
        """Show the vault as it is now; the results of a search shown are looked up again,
        unaudited: the user searched once, not at every refresh."""
        self._show()
        if self._found_query:
            self._search(audited=False)

    def _search(self, audited: bool) -> None:
        """Search for the words in the field on the search queue; an older search still
        queued is cancelled, and results for words no longer in the field are dropped."""
        if self._search_job is not None:
            self._search_job.cancel()
        query = self.search_field.text().strip()
        if not query:
            self._search_job = None
            self._show_found("", [])
            return
        store = self.store
        self._search_job = self.searches.submit(
            "Search",
            lambda progress, cancel_token: store.search(query, audited=audited),
            on_success=lambda hits: self._show_found(query, hits),
            on_failure=lambda sentence: self._search_failed(query, sentence),
        )

    def _show_found(self, query: str, hits: list[SearchHit]) -> None:
        if query != self.search_field.text().strip():
            return  # the user has typed on: the search for the new words follows
        self._found_query, self._found = query, {}
        for hit in hits:
            where = f"page {hit.page_number}: " if hit.page_number else ""
            self._found.setdefault(hit.document_id, where + hit.snippet)
        self._show()

    def _search_failed(self, query: str, sentence: str) -> None:
        if query == self.search_field.text().strip():
            self.no_matches.setText(sentence)
            self.no_matches.show()

    def _show(self) -> None:
        """Rebuild the cases and the list from the vault and the last search's results,
        keeping what is selected selected."""
        selected = self.current_document()
        cases = self.store.cases()
        self._fill_case_filter(cases)
        case_titles = {case.id: case.title for case in cases}
        shown_case = self.case_filter.currentData()
        wanted_case_id = None if shown_case == NO_CASE else shown_case
        documents = self.store.documents()
        self.known = {document.id: document for document in documents}
        _, wanted = TYPE_FILTERS[self.type_filter.currentIndex()]
        query, found = self._found_query, self._found
        headers = ["Name", "Type", "Pages", "Added", "Case"]
        self.tree.setColumnCount(len(headers))
        self.tree.setHeaderLabels(headers)
        self.tree.blockSignals(True)
        self.tree.clear()
        for document in documents:
            if shown_case != ALL_DOCUMENTS and document.case_id != wanted_case_id:
                continue
            if not wanted(document.media_type):
                continue
            if query and document.id not in found:
                continue
            columns = [document.name, type_name(document.media_type), str(document.page_count),
                       document.created_utc[:16].replace("T", " "),
                       case_titles.get(document.case_id, "")]  # fmt: skip
            item = QTreeWidgetItem(columns)
            item.setData(0, Qt.ItemDataRole.UserRole, document)
            item.setToolTip(0, document.name)
            self.tree.addTopLevelItem(item)
            if query:  # where the words were found, under the name, across the columns
                snippet = QTreeWidgetItem(item, [found[document.id]])
                snippet.setData(0, Qt.ItemDataRole.UserRole, document)
                snippet.setFirstColumnSpanned(True)
                snippet.setForeground(0, self.palette().placeholderText())
                snippet.setToolTip(0, found[document.id])
                item.setExpanded(True)
            if selected is not None and document.id == selected.id:
                self.tree.setCurrentItem(item)
        self.tree.blockSignals(False)
        for column in range(self.tree.columnCount() - 1):
            self.tree.resizeColumnToContents(column)
        self.no_matches.setVisible(bool(query) and self.tree.topLevelItemCount() == 0)
        self.no_matches.setText(f"No matches for “{query}”." if query else "")
        if self.current_document() != selected:
            self.document_selected.emit(self.current_document())

    def _fill_case_filter(self, cases: list[Case]) -> None:
        shown = self.case_filter.currentData()
        self.case_filter.blockSignals(True)
        self.case_filter.clear()
        self.case_filter.addItem("All documents", ALL_DOCUMENTS)
        for case in cases:
            self.case_filter.addItem(f"{case.title} ({case.document_count})", case.id)
        self.case_filter.addItem("No case", NO_CASE)
        self.case_filter.setCurrentIndex(max(0, self.case_filter.findData(shown)))
        self.case_filter.blockSignals(False)

    def current_case_id(self) -> int | None:
        """The case being shown; None for all documents or those in no case."""
        shown = self.case_filter.currentData()
        return shown if isinstance(shown, int) else None

    def show_case(self, case_id: int) -> None:
        self.case_filter.setCurrentIndex(self.case_filter.findData(case_id))

    def current_document(self) -> StoredDocument | None:
        item = self.tree.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def selected_documents(self) -> list[StoredDocument]:
        return [item.data(0, Qt.ItemDataRole.UserRole) for item in self.tree.selectedItems()]

    def select_document(self, document_id: int, notify: bool = True) -> None:
        """Make the document current; `notify=False` only moves the selection back (the view
        still shows it, e.g. after the user chose to stay on a document with unsaved edits)."""
        for index in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(index)
            if item.data(0, Qt.ItemDataRole.UserRole).id == document_id:
                self.tree.blockSignals(not notify)
                self.tree.setCurrentItem(item)
                self.tree.blockSignals(False)
                return

    def _current_changed(self, current, previous) -> None:
        self.document_selected.emit(self.current_document())


class MoveToCaseDialog(QDialog):
    """Choose the case for the selected documents; typing narrows the list."""

    chosen = Signal(object)  # a case id, or None for no case

    def __init__(self, cases: list[Case], document_count: int,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setObjectName("moveToCaseDialog")
        self.setWindowTitle("Move to case")
        what = "1 document" if document_count == 1 else f"{document_count} documents"
        self.search_field = QLineEdit(objectName="caseSearch")
        self.search_field.setPlaceholderText("Find a case")
        self.search_field.setAccessibleName("Find a case")
        self.search_field.setClearButtonEnabled(True)
        self.search_field.textChanged.connect(self._narrow)
        self.choices = QListWidget(objectName="caseChoices")
        self.choices.setAccessibleName("Cases")
        for title, case_id in [*((case.title, case.id) for case in cases), ("No case", None)]:
            item = QListWidgetItem(title)
            item.setData(Qt.ItemDataRole.UserRole, case_id)
            self.choices.addItem(item)
        self.choices.itemDoubleClicked.connect(lambda item: self._choose())
        self.choices.currentItemChanged.connect(lambda current, previous: self._update())
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.move_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.move_button.setText("Move")
        self.move_button.setObjectName("moveToCaseButton")
        buttons.accepted.connect(self._choose)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Move {what} to:"))
        layout.addWidget(self.search_field)
        layout.addWidget(self.choices, 1)
        layout.addWidget(buttons)
        self.choices.setCurrentRow(0)
        self._update()

    def _narrow(self, text: str) -> None:
        """Hide the cases whose titles don't contain the text; the first one left is chosen."""
        needle = text.strip().casefold()
        first_shown = None
        for row in range(self.choices.count()):
            item = self.choices.item(row)
            item.setHidden(needle not in item.text().casefold())
            if first_shown is None and not item.isHidden():
                first_shown = item
        self.choices.setCurrentItem(first_shown)
        self._update()

    def _update(self) -> None:
        current = self.choices.currentItem()
        self.move_button.setEnabled(current is not None and not current.isHidden())

    def _choose(self) -> None:
        if not self.move_button.isEnabled():
            return
        self.accept()
        self.chosen.emit(self.choices.currentItem().data(Qt.ItemDataRole.UserRole))
