"""Hearth's Chalice app: wiring only. Behaviour lives in `chalicelib`."""

from chalice import Chalice

from chalicelib import observability
from chalicelib.api import admin, feeds, groups, membership, service, sessions
from chalicelib.events import jobs, reminders, sms
from chalicelib.settings import dev_routes_requested

app = Chalice(app_name="hearth", configure_logs=False)  # powertools owns the "hearth" logger
app.register_middleware(observability.all_events_middleware, "all")
app.register_middleware(observability.http_middleware, "http")

app.register_blueprint(service.routes.blueprint)
app.register_blueprint(admin.routes.blueprint)
app.register_blueprint(groups.routes.blueprint)
app.register_blueprint(membership.routes.blueprint)
app.register_blueprint(sessions.routes.blueprint)
app.register_blueprint(feeds.routes.blueprint)
app.register_blueprint(jobs.jobs)
app.register_blueprint(reminders.reminders)
app.register_blueprint(sms.sms)

if dev_routes_requested():  # local stack and tests only; never in a deployed package
    from chalicelib.api import dev

    app.register_blueprint(dev.routes.blueprint)
