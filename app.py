"""Hearth's Chalice app: wiring only. Behaviour lives in `chalicelib`."""

from chalice import Chalice

from chalicelib import observability
from chalicelib.api import admin, feeds, groups, membership, room, service, sessions, web
from chalicelib.events import email, jobs, reminders, sms, websocket
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
app.register_blueprint(email.email)  # SES bounces and complaints
app.register_blueprint(room.routes.blueprint)
app.register_blueprint(web.routes.blueprint)  # the web pages and their assets

# The room's live updates. Chalice's WebSocket handlers cannot live on blueprints, and for
# `chalice package` each module-level name here must be its handler function's name.
app.experimental_feature_flags.update(["WEBSOCKETS"])
room_connect = app.on_ws_connect(name="room_connect")(websocket.room_connect)
room_message = app.on_ws_message(name="room_message")(websocket.room_message)
room_disconnect = app.on_ws_disconnect(name="room_disconnect")(websocket.room_disconnect)

if dev_routes_requested():  # local stack and tests only; never in a deployed package
    from chalicelib.api import dev

    app.register_blueprint(dev.routes.blueprint)
