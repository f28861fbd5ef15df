"""The running app's parts, built once in `create_app` and typed: settings, the clock, the
gateways and the call scripts. Blueprints and CLI commands reach them through `runtime()`;
everything below them takes what it needs as arguments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy.orm import Session, sessionmaker

from app.adapters.gateways import Gateway
from app.calls.script import Flow, PageScript
from app.calls.turn import LineConfig
from app.clock import Clock
from app.config import Settings
from app.incidents.actions import IncidentActions
from app.incidents.addresses import AddressLinks
from app.incidents.followups import FollowUpPolicy
from app.incidents.summaries import SummaryLinks
from app.languages import TEAM
from app.outbox.mail import Mailer
from app.outbox.policy import TICKETS, RetryPolicy, policies
from app.paging.delivery import CallbackUrls
from app.tickets.backend import TicketBackend
from app.tickets.sender import TicketSender
from app.worker import Worker

# A link confirming a caller's e-mail address works this long.
ADDRESS_LINK_VALID = dt.timedelta(days=7)

EXTENSION = "afterhours"
PAGE_SCRIPT = "page"


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    clock: Clock
    gateway: Gateway
    mailer: Mailer
    # The caller's script in each language the line speaks, by language code.
    caller_flows: dict[str, Flow]
    page_script: PageScript
    line: LineConfig
    # None: TICKETS_BACKEND=none, the line keeps incidents to itself.
    tickets: TicketBackend | None = None

    def install(self, app: Flask) -> None:
        app.extensions[EXTENSION] = self

    @property
    def caller_flow(self) -> Flow:
        """The script in the team's language: what the dashboard and the API rank impacts by,
        and what the fallback line (which knows no caller) says."""
        return self.caller_flows[TEAM]

    def caller_flow_in(self, code: str | None) -> Flow:
        """The script in a caller's language, or the team's when the line does not speak it."""
        return self.caller_flows.get(code or TEAM, self.caller_flow)

    @property
    def followup_policy(self) -> FollowUpPolicy:
        config = self.settings
        return FollowUpPolicy(
            zone=config.zone,
            confirmation_reminder=config.CONFIRMATION_REMINDER,
            confirmation_final=config.CONFIRMATION_FINAL_REMINDER,
            summary_due=config.SUMMARY_DUE,
            summary_to_director=config.SUMMARY_TO_DIRECTOR_AFTER,
            summary_remind_before=config.SUMMARY_REMINDER_BEFORE,
            reporter_window=config.REPORTER_UPDATE_WINDOW,
            contact_within=config.CONTACT_WITHIN,
            contact_remind_before=config.CONTACT_REMINDER_BEFORE,
            links=SummaryLinks(
                config.SECRET_KEY, config.PUBLIC_BASE_URL, config.SUMMARY_LINK_VALID
            ),
            address_links=AddressLinks(
                config.SECRET_KEY, config.PUBLIC_BASE_URL, ADDRESS_LINK_VALID
            ),
            helpdesk_phone=config.HELPDESK_PHONE,
        )

    @property
    def callback_urls(self) -> CallbackUrls:
        return CallbackUrls(self.settings.PUBLIC_BASE_URL)

    def incident_actions(self, session: Session) -> IncidentActions:
        return IncidentActions(
            session,
            self.clock,
            self.settings.zone,
            self.settings.CALLER_SMS_ON_ACK,
            self.followup_policy,
        )

    def worker(self, sessions: sessionmaker[Session], batch: int = 100) -> Worker:
        """The one place a worker is put together, for the CLI, the tests and the benchmarks."""
        config = self.settings
        return Worker(
            sessions,
            self.clock,
            self.gateway,
            self.callback_urls,
            self.followup_policy,
            self.mailer,
            batch=batch,
            spool=Path(config.VOICEMAIL_SPOOL_DIR),
            callback=config.callback_policy,
            lease=dt.timedelta(seconds=config.WORKER_CLAIM_LEASE_SECONDS),
            menu=(self.caller_flows, self.line),
            sweep_every=dt.timedelta(seconds=config.WORKER_POLL_SECONDS),
            listen=config.WORKER_LISTEN,
            tickets=self.ticket_sender(batch),
            policies=self.outbox_policies,
            sends_at_once=config.GATEWAY_SENDS_AT_ONCE,
        )

    @property
    def outbox_policies(self) -> dict[str, RetryPolicy]:
        return policies(self.settings.OUTBOX_RETRY)

    def ticket_sender(self, batch: int = 50) -> TicketSender | None:
        if self.tickets is None:
            return None
        config = self.settings
        return TicketSender(
            self.tickets,
            self.clock,
            config.zone,
            config.PUBLIC_BASE_URL,
            alert_after=config.TICKETS_ALERT_AFTER,
            batch=batch,
            policy=self.outbox_policies[TICKETS],
            lease=dt.timedelta(seconds=config.WORKER_CLAIM_LEASE_SECONDS),
        )


def runtime(app: Flask | None = None) -> Runtime:
    found: Runtime = (app or current_app).extensions[EXTENSION]
    return found


def settings() -> Settings:
    return runtime().settings


def clock() -> Clock:
    return runtime().clock
