"""The main window: the unlock screens until the vault is open, then the workspace.

Locking (from the menu, after the idle time, or on quit) saves pending edits, cancels the jobs,
closes the model and drops the key; the workspace and everything it showed are destroyed.
"""

from __future__ import annotations

import contextlib
import importlib
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QMainWindow, QStackedWidget, QWidget

from app.errors import FieldscribeError
from app.paths import Home
from app.session import Session, vault_exists
from ui import settings
from ui.change_passphrase import NewRecoveryCodeDialog
from ui.jobs import JobQueue
from ui.revisions import plural
from ui.unlock import (
    CopiedSecret,
    CreatePage,
    RecoveryCodePage,
    UnlockPage,
    close_without_code,
)

if TYPE_CHECKING:
    from ui.workspace import Workspace

# Input that counts as the user being present (resets the auto-lock timer).
_ACTIVITY = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
    }
)


LOCK_REASONS = {
    "idle": "Locked because the window was idle. Your work was saved.",
    "user": "Locked. Your work was saved.",
}


def _preferences_keys() -> QKeySequence:
    """The platform's Preferences shortcut; many Linux desktops define none, so Ctrl+, there."""
    keys = QKeySequence(QKeySequence.StandardKey.Preferences)
    return keys if not keys.isEmpty() else QKeySequence("Ctrl+,")


class MainWindow(QMainWindow):
    locked = Signal()
    workspace_ready = Signal(object)  # Workspace

    def __init__(self, home: Home, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle("Fieldscribe")
        self.setAcceptDrops(True)
        self.home = home
        self.session: Session | None = None
        self.workspace: Workspace | None = None
        self._locking = False
        self.tasks = JobQueue(self)  # vault and audit work: unlock, lock, verify, export, checks
        # The workspace's imports (the engine, numpy) are the slow part of starting: load them
        # while the user types the passphrase.
        self.tasks.submit(
            "Load the workspace", lambda progress, cancel: importlib.import_module("ui.workspace")
        )

        self.unlock_page = UnlockPage(home, self.tasks)
        self.create_page = CreatePage(home, self.tasks)
        self.recovery_page = RecoveryCodePage()
        self.unlock_page.unlocked.connect(self.open_workspace)
        self.create_page.created.connect(self._created)
        self.recovery_page.confirmed.connect(self._recovery_code_stored)
        self.pages = QStackedWidget(objectName="pages")
        for page in (self.unlock_page, self.create_page, self.recovery_page):
            self.pages.addWidget(page)
        self.setCentralWidget(self.pages)

        self.idle_timer = QTimer(self, objectName="idleTimer", singleShot=True)
        self.idle_timer.timeout.connect(lambda: self.lock("idle"))
        self._pending_session: Session | None = None  # created; its recovery code on screen
        self._build_menus()
        settings.restore_window(self, default_size=(1200, 780))
        screen = self.screen().availableGeometry()
        if self.width() > screen.width() or self.height() > screen.height():
            self.setWindowState(Qt.WindowState.WindowMaximized)  # a small laptop screen
        self.show_start_page()

    # -- menus -------------------------------------------------------------------------------

    def _action(self, menu, text: str, name: str, shortcut, slot) -> QAction:
        action = QAction(text, self, objectName=name)
        keys = QKeySequence(shortcut)
        if not keys.isEmpty():
            action.setShortcut(keys)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        """Every main action, with its shortcut. Workspace actions call the open workspace."""
        bar = self.menuBar()
        file = bar.addMenu("&File")
        vault = bar.addMenu("&Vault")
        document = bar.addMenu("&Document")
        cases = bar.addMenu("&Cases")
        view = bar.addMenu("Vie&w")
        tools = bar.addMenu("&Tools")
        w = self._with_workspace
        self.show_library = self._toggle(
            view, "&Library", "actionShowLibrary", "Ctrl+1", lambda ws: ws.library
        )
        self.show_page = self._toggle(
            view, "&Page beside the text", "actionShowPage", "Ctrl+2",
            lambda ws: ws.document_view.page_view,
        )  # fmt: skip
        self.show_jobs = self._toggle(
            view, "&Jobs", "actionShowJobs", "Ctrl+3", lambda ws: ws.job_panel
        )
        self.workspace_actions = [
            self._action(file, "&Add files…", "actionAddFiles", QKeySequence.StandardKey.Open,
                         w(lambda ws: ws.add_files_dialog())),
            self._action(file, "Add &folder…", "actionAddFolder", "Ctrl+Shift+O",
                         w(lambda ws: ws.add_folder_dialog())),
            self._action(file, "&Export result…", "actionExportResult", "Ctrl+E",
                         w(lambda ws: ws.export_result_dialog())),
            self._action(document, "&Find in documents", "actionFind",
                         QKeySequence.StandardKey.Find, w(lambda ws: ws.library.focus_search())),
            self._action(document, "&Digitize", "actionDigitize", "Ctrl+D",
                         w(lambda ws: ws.run_digitize())),
            self._action(document, "&Summarize", "actionSummarize", "Ctrl+M",
                         w(lambda ws: ws.run_summarize())),
            self._action(document, "E&xtract fields", "actionExtract", "Ctrl+Shift+X",
                         w(lambda ws: ws.run_extract())),
            self._action(document, "Sa&ve edits", "actionSave", QKeySequence.StandardKey.Save,
                         w(lambda ws: ws.save_pending_edits())),
            self._action(document, "Zoom &in", "actionZoomIn", QKeySequence.StandardKey.ZoomIn,
                         w(lambda ws: ws.document_view.page_view.zoom_by(1.25))),
            self._action(document, "Zoom &out", "actionZoomOut",
                         QKeySequence.StandardKey.ZoomOut,
                         w(lambda ws: ws.document_view.page_view.zoom_by(0.8))),
            self._action(document, "&Fit page", "actionZoomFit", "Ctrl+0",
                         w(lambda ws: ws.document_view.page_view.fit())),
            self._action(cases, "&New case…", "actionNewCase", "Ctrl+Shift+N",
                         w(lambda ws: ws.new_case_dialog())),
            self._action(cases, "&Rename case…", "actionRenameCase", "",
                         w(lambda ws: ws.rename_case_dialog())),
            self._action(cases, "&Move to case…", "actionMoveToCase", "Ctrl+Shift+C",
                         w(lambda ws: ws.move_to_case_dialog())),
            self._action(tools, "&Templates…", "actionTemplates", "Ctrl+Shift+T",
                         w(lambda ws: ws.show_templates())),
            self._action(tools, "&Models…", "actionModels", "Ctrl+Shift+M",
                         w(lambda ws: ws.show_models())),
            self._action(tools, "&Audit log…", "actionAudit", "Ctrl+Shift+A",
                         w(lambda ws: ws.show_audit())),
            self._action(tools, "&Settings…", "actionSettings", _preferences_keys(),
                         w(lambda ws: ws.show_settings())),
            self._action(vault, "&Change passphrase…", "actionChangePassphrase", "",
                         w(lambda ws: ws.change_passphrase_dialog())),
            self._action(vault, "New &recovery code…", "actionNewRecoveryCode", "",
                         lambda: self._open_dialog(NewRecoveryCodeDialog)),
            self._action(vault, "&Lock", "actionLock", "Ctrl+L", lambda: self.lock("user")),
            self.show_library, self.show_page, self.show_jobs,
        ]  # fmt: skip
        file.addSeparator()
        self._action(file, "&Quit", "actionQuit", QKeySequence.StandardKey.Quit, self.quit)
        self._set_unlocked_actions(False)

    def _toggle(self, menu, text: str, name: str, shortcut: str, panel) -> QAction:
        """A View menu entry that shows or hides a side panel, giving the rest its room."""
        action = self._action(
            menu, text, name, shortcut,
            self._with_workspace(lambda ws: panel(ws).setVisible(action.isChecked())),
        )  # fmt: skip
        action.setCheckable(True)
        action.setChecked(True)
        return action

    def _with_workspace(self, call):
        def slot() -> None:
            if self.workspace is not None:
                call(self.workspace)

        return slot

    def _set_unlocked_actions(self, enabled: bool) -> None:
        for action in self.workspace_actions:
            action.setEnabled(enabled)

    # -- unlocking ---------------------------------------------------------------------------

    def show_start_page(self) -> None:
        page = self.unlock_page if vault_exists(self.home) else self.create_page
        self.pages.setCurrentWidget(page)
        (page.passphrase if page is self.unlock_page else page.fields.new_passphrase).setFocus()

    def _open_dialog(self, kind) -> None:
        if self.session is not None:
            dialog = kind(self.session, self.tasks, self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.open()

    def _created(self, session: Session, recovery_code: str) -> None:
        self._pending_session = session
        self.recovery_page.show_code(recovery_code)
        self.pages.setCurrentWidget(self.recovery_page)
        self.recovery_page.stored.setFocus()
        # The code on screen is a secret too: the idle lock applies here as anywhere.
        minutes = float(
            session.setting(settings.AUTOLOCK_SETTING, settings.DEFAULT_AUTOLOCK_MINUTES)
        )
        self.idle_timer.start(max(1, round(minutes * 60_000)))
        QCoreApplication.instance().installEventFilter(self)

    def _leave_without_code(self) -> bool:
        """Whether to close on the new vault's recovery code: asked only while the user has
        not ticked that it is stored."""
        return self.recovery_page.stored.isChecked() or close_without_code(self, "Fieldscribe")

    def _recovery_code_stored(self) -> None:
        session, self._pending_session = self._pending_session, None
        self.idle_timer.stop()
        QCoreApplication.instance().removeEventFilter(self)
        assert session is not None
        self.open_workspace(session)

    def open_workspace(self, session: Session) -> None:
        from ui.workspace import Workspace  # loaded in the background while the user typed

        workspace = Workspace(session, self.tasks)
        try:
            workspace.load()
        except FieldscribeError as exc:  # e.g. damage found on the first pages read
            workspace.shutdown()
            workspace.deleteLater()
            with contextlib.suppress(FieldscribeError):
                session.close()
            self.show_start_page()
            self.unlock_page.error.setText(str(exc))
            return
        self.session, self.workspace = session, workspace
        self.pages.addWidget(self.workspace)
        self.pages.setCurrentWidget(self.workspace)
        self._set_unlocked_actions(True)
        for panel in (self.show_library, self.show_page, self.show_jobs):
            panel.setChecked(True)  # a new workspace shows every panel
        self.apply_autolock()
        self.workspace.settings_saved.connect(self.apply_autolock)
        QCoreApplication.instance().installEventFilter(self)
        failed = session.failed_unlocks_before_last_unlock()
        if failed:
            self.workspace.show_notice(
                f"{plural(failed, 'failed attempt')} to unlock this vault since it was last"
                " unlocked. Each is recorded in the audit log (Tools ▸ Audit log)."
            )
        self.workspace_ready.emit(self.workspace)

    def apply_autolock(self) -> None:
        """(Re)start the idle timer from the vault's setting (minutes; fractions allowed)."""
        assert self.session is not None
        minutes = float(
            self.session.setting(settings.AUTOLOCK_SETTING, settings.DEFAULT_AUTOLOCK_MINUTES)
        )
        self.idle_timer.start(max(1, round(minutes * 60_000)))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _ACTIVITY and self.idle_timer.isActive():
            self.idle_timer.start()  # restart with the same interval
        return False

    # -- locking -----------------------------------------------------------------------------

    def lock(self, reason: str) -> None:
        """Hide everything at once, then end the jobs, the model and the key off the GUI thread."""
        CopiedSecret.instance().clear()  # a recovery code copied a moment ago goes too
        if self._pending_session is not None and not self._locking:
            self._lock_before_the_code_was_stored(reason)
            return
        workspace, session = self.workspace, self.session
        if workspace is None or session is None or self._locking:
            return
        self._locking = True
        self.idle_timer.stop()
        QCoreApplication.instance().removeEventFilter(self)
        self._set_unlocked_actions(False)
        workspace.save_pending_edits()
        workspace.cancel_everything()
        self.pages.setCurrentWidget(self.unlock_page)
        self.unlock_page.set_busy(True, "Locking…")

        def lock_vault(progress, cancel) -> None:
            workspace.wait_for_jobs()
            workspace.close_engine()
            session.close(reason)

        self.tasks.submit(
            "Lock the vault",
            lock_vault,
            on_success=lambda _: self._locked(reason),
            on_failure=lambda _: self._locked(reason),
        )

    def _lock_before_the_code_was_stored(self, reason: str) -> None:
        session, self._pending_session = self._pending_session, None
        self._locking = True
        self.idle_timer.stop()
        QCoreApplication.instance().removeEventFilter(self)
        self.recovery_page.forget()
        self.pages.setCurrentWidget(self.unlock_page)
        self.unlock_page.set_busy(True, "Locking…")

        def locked(_: object) -> None:
            self._locked(reason)
            self.unlock_page.status.setText(
                f"{self.unlock_page.status.text()} The recovery code was not confirmed: once "
                "unlocked, issue a new one (Vault ▸ New recovery code)."
            )

        self.tasks.submit("Lock the vault", lambda progress, cancel: session.close(reason),
                          on_success=locked, on_failure=locked)  # fmt: skip

    def _locked(self, reason: str) -> None:
        # The vault closes its connection even when recording the lock failed.
        workspace = self.workspace
        self.workspace = self.session = None
        self._locking = False
        if workspace is not None:
            workspace.shutdown()
            self.pages.removeWidget(workspace)
            workspace.deleteLater()
        self.unlock_page.set_busy(False)
        self.unlock_page.status.setText(LOCK_REASONS.get(reason, "The vault was locked."))
        self.show_start_page()
        self.locked.emit()

    def quit(self) -> None:
        """Quit as the user asked: unsaved text edits are saved or discarded first, or the
        user stays."""
        if self.workspace is None:
            if self._pending_session is None or self._leave_without_code():
                self.close()
            return
        self.workspace.document_view.resolve_unsaved_edits(self.close)

    def closeEvent(self, event: QCloseEvent) -> None:
        if (
            event.spontaneous()
            and self._pending_session is not None
            and not self._leave_without_code()
        ):
            event.ignore()  # back to the recovery code
            return
        workspace = self.workspace
        if (
            event.spontaneous()  # the window manager's close button, not a quit or SIGTERM
            and workspace is not None
            and workspace.document_view.text_tab.has_unsaved_edits
        ):
            event.ignore()
            self.quit()
            return
        settings.save_window(self)
        self.hide()
        workspace, session = self.workspace, self.session
        if workspace is not None and session is not None:
            # Quitting: end everything here; the window is already gone from the screen.
            self.idle_timer.stop()
            QCoreApplication.instance().removeEventFilter(self)
            workspace.save_pending_edits()
            workspace.cancel_everything()
            workspace.shutdown()
            workspace.close_engine()
            session.close("quit")
            self.workspace = self.session = None
        self.tasks.shutdown()
        if self._pending_session is not None:  # created; the recovery code was not confirmed
            self._pending_session.close("quit")
        event.accept()

    # -- drops -------------------------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:
        if self.workspace is not None and event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:
        if self.workspace is not None and event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        if self.workspace is None:
            return
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.workspace.add_paths(paths)
