/* The member's room: sessions in the member's zone with RSVPs and the join button, messages
   (pushed over the room's WebSocket, polled only while it is down; newest at the bottom),
   reminders and contact verification, calendar, leaving. */
(function () {
  "use strict";
  var H = window.Hearth;
  var el = H.el;
  var groupId = H.pageParam();
  var saved = H.membership.get(groupId);
  var token = saved && saved.token;
  var status = H.$("status");

  var MESSAGE_POLL_MS = 4000; // only while the live socket is down
  var SESSION_POLL_MS = 60000;
  var JOIN_OPENS_MS = 15 * 60 * 1000;
  var LEADS = [
    [1440, "1 day before"],
    [60, "1 hour before"],
    [15, "15 minutes before"],
  ];

  var me = null;
  var group = null;
  var sessions = [];
  var messages = new Map(); // message_id -> {data, node}
  var olderCursor = null;
  var stopped = false;
  var liveRoom = null; // H.live(): pushes, or polling while the socket is down

  var leaving = false; // while erasing, a poll's 401 is expected and not a sign-out

  function call(method, path, body) {
    return H.api(method, path, { token: token, body: body }).catch(function (error) {
      if (leaving) throw error;
      if (error.status === 401) signedOut("This device is no longer signed in to this group. If you still belong to it, open your invite link again.", true);
      else if (error.status === 403 && error.code === "removed") signedOut("You're no longer a member of this group.", true);
      throw error;
    });
  }

  function stopLive() {
    stopped = true;
    if (liveRoom) liveRoom.stop();
  }

  function signedOut(text, forget) {
    stopLive();
    if (forget) H.membership.forget(groupId);
    H.$("room").hidden = true;
    H.$("signed-out").hidden = false;
    if (text) H.$("signed-out-text").textContent = text;
    H.say(status, "", "");
  }

  function zone() {
    return (me && me.timezone) || H.deviceZone();
  }

  // --- header, name, time zone ----------------------------------------------------------------

  function renderHeader() {
    H.$("group-name").textContent = group ? group.name : "Your group";
    document.title = "Hearth · " + (group ? group.name : "Your group");
    H.$("handle").textContent = me.handle;
    var shortZone = zoneAbbreviation();
    H.$("zone-line").textContent = "Times are shown in " + zone().replace(/_/g, " ") + (shortZone ? " (" + shortZone + ")" : "") + ".";
    var slot = H.clear(H.$("zone-select-slot"));
    slot.appendChild(H.zoneSelect({ id: "zone-select" }, zone()));
    var device = H.deviceZone();
    var deviceButton = H.$("zone-device");
    deviceButton.hidden = device === zone();
    deviceButton.textContent = "Use this device's zone (" + device.replace(/_/g, " ") + ")";
  }

  function zoneAbbreviation() {
    try {
      var parts = new Intl.DateTimeFormat(undefined, { timeZone: zone(), timeZoneName: "short" }).formatToParts(new Date());
      var found = parts.filter(function (p) { return p.type === "timeZoneName"; })[0];
      return found ? found.value : "";
    } catch (ignored) {
      return "";
    }
  }

  function saveZone(value, button) {
    var region = H.$("sessions-status");
    return H.busy(button, region, function () {
      return call("PATCH", "/v1/me", { timezone: value });
    }, "Saving time zone…").then(function (updated) {
      me = updated;
      renderHeader();
      renderSessions();
      H.$("zone-details").open = false;
      H.say(region, "ok", "Times are now shown in " + value.replace(/_/g, " ") + ".");
    }, function () {});
  }

  H.$("zone-form").addEventListener("submit", function (event) {
    event.preventDefault();
    saveZone(H.$("zone-select").value, H.$("zone-save"));
  });
  H.$("zone-device").addEventListener("click", function () {
    saveZone(H.deviceZone(), H.$("zone-device"));
  });

  var renameForm = H.$("rename-form");
  var renameToggle = H.$("rename-toggle");
  function showRename(open) {
    renameForm.hidden = !open;
    renameToggle.setAttribute("aria-expanded", String(open));
    if (open) {
      H.$("new-handle").value = me.handle;
      H.$("new-handle").focus();
    } else {
      renameToggle.focus();
    }
  }
  renameToggle.addEventListener("click", function () { showRename(renameForm.hidden); });
  H.$("rename-cancel").addEventListener("click", function () { showRename(false); });
  renameForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var input = H.$("new-handle");
    H.fieldError(input, "");
    H.busy(H.$("rename-save"), H.$("rename-status"), function () {
      return call("PATCH", "/v1/me", { handle: input.value.trim() });
    }, "Saving…").then(function (updated) {
      me = updated;
      saved.handle = me.handle;
      H.membership.set(groupId, saved);
      renderHeader();
      H.say(H.$("rename-status"), "", "");
      showRename(false);
      H.say(status, "ok", "Your name is now " + me.handle + ".");
    }, function (error) {
      if (error && error.fields && error.fields.handle) H.fieldError(input, error.fields.handle);
      else if (error && error.status === 409) H.fieldError(input, error.message);
    });
  });

  // --- sessions -------------------------------------------------------------------------------

  function loadSessions() {
    var region = H.$("sessions-status");
    if (!sessions.length) H.say(region, "loading", "Loading sessions…");
    var from = new Date(Date.now() - 4 * 3600 * 1000).toISOString().replace(/\.\d+Z$/, "Z");
    var to = new Date(Date.now() + 60 * 24 * 3600 * 1000).toISOString().replace(/\.\d+Z$/, "Z");
    return call("GET", "/v1/groups/" + encodeURIComponent(groupId) + "/sessions?from=" + encodeURIComponent(from) + "&to=" + encodeURIComponent(to)).then(
      function (data) {
        sessions = data.sessions;
        if (region.classList.contains("loading") || region.classList.contains("error")) H.say(region, "", "");
        renderSessions();
      },
      function (error) {
        H.say(region, "error", "We couldn't load sessions. " + H.errorText(error));
      }
    );
  }

  function minutesBetween(a, b) {
    return Math.round((new Date(b) - new Date(a)) / 60000);
  }

  function joinable(now) {
    return sessions
      .filter(function (s) {
        var start = new Date(s.start).getTime();
        return s.my_rsvp === "going" && now >= start - JOIN_OPENS_MS && now < new Date(s.end).getTime();
      })
      .map(function (s) { return s.session_id; })
      .join(" ");
  }

  var shownJoinable = "";
  var showAllSessions = false;
  var FIRST_SESSIONS = 3;

  function renderSessions(focusId) {
    var list = H.$("sessions");
    var now = Date.now();
    shownJoinable = joinable(now);
    if (!focusId && list.contains(document.activeElement)) {
      var holder = document.activeElement.closest("[data-session]");
      if (holder) focusId = holder.dataset.session;
    }
    H.clear(list);
    var upcoming = sessions.filter(function (s) { return new Date(s.end).getTime() > now; });
    if (!upcoming.length) {
      list.appendChild(el("li", { className: "empty" }, "No sessions are scheduled in the next two months."));
      return;
    }
    var shown = showAllSessions ? upcoming : upcoming.slice(0, FIRST_SESSIONS);
    shown.forEach(function (session) {
      list.appendChild(sessionItem(session, now));
    });
    if (shown.length < upcoming.length) {
      var more = el("button", { type: "button", className: "secondary" }, "Show all " + upcoming.length + " upcoming sessions");
      more.addEventListener("click", function () {
        showAllSessions = true;
        renderSessions();
        var next = H.$("sessions").querySelectorAll("[data-session]")[shown.length];
        var target = next && next.querySelector("button");
        if (target) target.focus();
      });
      list.appendChild(el("li", null, more));
    }
    if (focusId) {
      var target = list.querySelector('[data-session="' + CSS.escape(focusId) + '"] button');
      if (target) target.focus();
    }
  }

  function sessionItem(session, now) {
    var cancelled = session.status === "cancelled";
    var full = session.capacity !== null && session.going >= session.capacity;
    var seats = session.capacity !== null ? session.going + " of " + session.capacity + " places taken" : session.going + " going";
    if (session.waitlisted) seats += ", " + session.waitlisted + " on the waitlist";
    var mine = null;
    if (session.my_rsvp === "going") mine = el("span", { className: "tag ok" }, "You're going");
    if (session.my_rsvp === "waitlisted") {
      mine = el("span", { className: "tag warn" }, session.position ? "You're number " + session.position + " on the waitlist" : "You're on the waitlist");
    }
    var actions = el("div", { className: "actions" });
    var region = el("div", { className: "status", role: "status", "aria-live": "polite" });
    var start = new Date(session.start).getTime();
    var end = new Date(session.end).getTime();
    if (!cancelled) {
      if (session.my_rsvp === "going" && now >= start - JOIN_OPENS_MS && now < end) {
        actions.appendChild(joinButton(session, region, actions));
      }
      if (session.my_rsvp === null) {
        actions.appendChild(rsvpButton(session, "PUT", full ? "Join the waitlist" : "I'll be there", "", region));
      } else if (session.my_rsvp === "going") {
        actions.appendChild(rsvpButton(session, "DELETE", "Cancel my place", "secondary", region));
      } else {
        actions.appendChild(rsvpButton(session, "DELETE", "Leave the waitlist", "secondary", region));
      }
    }
    return el(
      "li",
      { className: "session" + (cancelled ? " cancelled" : ""), dataset: { session: session.session_id } },
      el("div", { className: "when" }, H.when(session.start, zone())),
      el("div", { className: "meta" }, session.title + " · " + minutesBetween(session.start, session.end) + " minutes"),
      cancelled ? el("p", null, el("span", { className: "tag danger" }, "Cancelled")) : el("div", { className: "meta" }, seats),
      mine ? el("p", null, mine) : null,
      region,
      actions
    );
  }

  function rsvpButton(session, method, label, kind, region) {
    var button = el("button", { type: "button", className: kind || null }, label);
    button.addEventListener("click", function () {
      H.busy(button, region, function () {
        return call(method, "/v1/sessions/" + encodeURIComponent(session.session_id) + "/rsvp");
      }, method === "PUT" ? "Saving your place…" : "Cancelling…").then(function (result) {
        var text = "Your place is cancelled.";
        if (result && result.status === "going") text = "You're going. See you there.";
        if (result && result.status === "waitlisted") text = "The session is full, so you're number " + result.position + " on the waitlist. We'll let you know if a place opens.";
        return loadSessions().then(function () {
          renderSessions(session.session_id);
          var fresh = H.$("sessions").querySelector('[data-session="' + CSS.escape(session.session_id) + '"] .status');
          H.say(fresh || H.$("sessions-status"), "ok", text);
        });
      }, function () {});
    });
    return button;
  }

  function joinButton(session, region, actions) {
    var button = el("button", { type: "button" }, "Join the session now");
    button.addEventListener("click", function () {
      H.busy(button, region, function () {
        return call("GET", "/v1/sessions/" + encodeURIComponent(session.session_id) + "/join");
      }, "Getting the meeting link…").then(function (data) {
        if (!/^https:\/\//.test(data.conference_url)) {
          H.say(region, "error", "The meeting link doesn't look right. Please contact the facilitator.");
          return;
        }
        H.say(region, "ok", "Your meeting link is ready.");
        var link = el("a", { className: "button", href: data.conference_url, target: "_blank", rel: "noopener noreferrer" }, "Open the meeting");
        button.replaceWith(link);
        link.focus();
      }, function (error) {
        if (error && error.status === 425) H.say(region, "", "The session isn't open yet. You can join from 15 minutes before it starts.");
      });
    });
    return button;
  }

  // --- messages -------------------------------------------------------------------------------

  var list = H.$("messages");

  function nearBottom() {
    return list.scrollHeight - list.scrollTop - list.clientHeight < 60;
  }

  function messageNode(message) {
    var who = el("span", { className: "who" }, message.mine ? message.handle + " (you)" : message.handle);
    var header = el(
      "div",
      null,
      who,
      message.role === "facilitator" ? el("span", { className: "tag" }, "Facilitator") : null,
      " ",
      el("time", { className: "time", datetime: message.created_at, title: H.when(message.created_at, zone()) }, H.stamp(message.created_at, zone()))
    );
    var body = el("p", { className: "body" });
    body.textContent = message.body;
    var actions = el("div", { className: "actions" });
    var note = el("p", { className: "note", role: "status", "aria-live": "polite" });
    var node = el(
      "li",
      { className: "message" + (message.mine ? " mine" : "") + (message.role === "facilitator" ? " staff" : ""), dataset: { id: message.message_id } },
      header,
      body,
      actions,
      note
    );
    if (message.mine) actions.appendChild(deleteControl(message, actions, note));
    else actions.appendChild(reportControl(message, actions, note));
    return node;
  }

  function deleteControl(message, actions, note) {
    var button = el("button", { type: "button", className: "quiet", "aria-label": "Delete your message from " + H.dayTime(message.created_at, zone()) }, "Delete");
    button.addEventListener("click", function () {
      H.clear(actions);
      var yes = el("button", { type: "button", className: "danger" }, "Delete for everyone");
      var no = el("button", { type: "button", className: "secondary" }, "Keep it");
      actions.appendChild(yes);
      actions.appendChild(no);
      yes.focus();
      no.addEventListener("click", function () {
        H.clear(actions);
        actions.appendChild(deleteControl(message, actions, note));
        actions.firstChild.focus();
      });
      yes.addEventListener("click", function () {
        H.busy(yes, null, function () {
          return call("DELETE", "/v1/messages/" + encodeURIComponent(message.message_id));
        }).then(function () {
          forget(message.message_id);
          H.say(H.$("messages-status"), "ok", "Your message was deleted.");
          H.$("post-body").focus();
        }, function (error) {
          note.textContent = H.errorText(error);
        });
      });
    });
    return button;
  }

  function reportControl(message, actions, note) {
    var button = el("button", { type: "button", className: "quiet", "aria-label": "Report the message from " + message.handle }, "Report");
    button.addEventListener("click", function () {
      H.clear(actions);
      var id = "reason-" + message.message_id.replace(/[^A-Za-z0-9_-]/g, "");
      var reason = el("textarea", { id: id, rows: "2", maxlength: "500" });
      var send = el("button", { type: "submit", className: "danger" }, "Send report");
      var cancel = el("button", { type: "button", className: "secondary" }, "Cancel");
      var form = el(
        "form",
        { novalidate: true },
        el("div", { className: "field" }, el("label", { for: id }, "What's wrong? (optional)"), el("span", { className: "hint" }, "Only the facilitators see reports."), reason),
        el("div", { className: "actions" }, send, cancel)
      );
      actions.appendChild(form);
      reason.focus();
      cancel.addEventListener("click", function () {
        H.clear(actions);
        actions.appendChild(reportControl(message, actions, note));
        actions.firstChild.focus();
      });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var body = reason.value.trim() ? { reason: reason.value.trim() } : {};
        H.busy(send, null, function () {
          return call("POST", "/v1/messages/" + encodeURIComponent(message.message_id) + "/report", body);
        }).then(function () {
          H.clear(actions);
          note.textContent = "Thank you. You reported this message and a facilitator will look at it.";
        }, function (error) {
          if (error && error.status === 409) {
            H.clear(actions);
            note.textContent = "You already reported this message.";
          } else {
            note.textContent = H.errorText(error);
          }
        });
      });
    });
    return button;
  }

  /** Takes a message off the list (deleted by its author or hidden by a facilitator). */
  function forget(messageId) {
    var entry = messages.get(messageId);
    if (!entry) return;
    entry.node.remove();
    messages.delete(messageId);
    if (!messages.size) showEmpty();
  }

  function showEmpty() {
    list.appendChild(el("li", { className: "empty" }, "No messages yet. You can say hello, or just listen."));
  }

  /** A frame pushed over the live socket. */
  function pushed(frame) {
    if (frame.type === "message" && frame.message && frame.message.group_id === groupId) merge([frame.message], false);
    else if (frame.type === "message_hidden" && typeof frame.message_id === "string") forget(frame.message_id);
  }

  function sortKey(message) {
    return message.created_at + "|" + message.message_id;
  }

  /** Merges a page (newest first) into the list; `window` says whether missing ones were hidden. */
  function merge(page, isNewestPage) {
    var stick = nearBottom();
    var ids = new Set(page.map(function (m) { return m.message_id; }));
    if (isNewestPage && page.length) {
      var oldest = sortKey(page[page.length - 1]);
      messages.forEach(function (entry, id) {
        if (!ids.has(id) && sortKey(entry.data) >= oldest) {
          entry.node.remove();
          messages.delete(id);
        }
      });
    }
    page.forEach(function (message) {
      if (!messages.has(message.message_id)) messages.set(message.message_id, { data: message, node: messageNode(message) });
    });
    var ordered = Array.from(messages.values()).sort(function (a, b) {
      return sortKey(a.data) < sortKey(b.data) ? -1 : 1;
    });
    var empty = list.querySelector(".empty");
    if (empty) empty.remove();
    ordered.forEach(function (entry, index) {
      if (list.children[index] !== entry.node) list.insertBefore(entry.node, list.children[index] || null);
    });
    if (!ordered.length) showEmpty();
    if (stick) list.scrollTop = list.scrollHeight;
  }

  function messagesPath(before) {
    return "/v1/groups/" + encodeURIComponent(groupId) + "/messages?limit=50" + (before ? "&before=" + encodeURIComponent(before) : "");
  }

  function loadMessages(first) {
    var region = H.$("messages-status");
    if (first) H.say(region, "loading", "Loading messages…");
    return call("GET", messagesPath()).then(
      function (data) {
        if (first) {
          olderCursor = data.next;
          renderOlderButton();
          H.say(region, "", "");
        } else if (region.classList.contains("error")) {
          H.say(region, "", "");
        }
        merge(data.messages, true);
        if (first) list.scrollTop = list.scrollHeight;
      },
      function (error) {
        H.say(region, "error", (first ? "We couldn't load messages. " : "We couldn't check for new messages. ") + H.errorText(error));
      }
    );
  }

  function renderOlderButton() {
    var slot = H.clear(H.$("older-slot"));
    if (!olderCursor) return;
    var button = el("button", { type: "button", className: "secondary" }, "Show earlier messages");
    button.addEventListener("click", function () {
      H.busy(button, H.$("messages-status"), function () {
        return call("GET", messagesPath(olderCursor));
      }, "Loading earlier messages…").then(function (data) {
        H.say(H.$("messages-status"), "", "");
        olderCursor = data.next;
        var top = list.scrollHeight - list.scrollTop;
        merge(data.messages, false);
        list.scrollTop = list.scrollHeight - top;
        renderOlderButton();
        list.focus();
      }, function () {});
    });
    slot.appendChild(button);
  }

  function showHelp(resources) {
    var box = H.clear(H.$("help"));
    box.appendChild(el("p", null, el("strong", null, "It sounds like things are really hard right now. You don't have to go through this alone.")));
    box.appendChild(el("p", null, "Only you can see this. You can reach someone right now:"));
    var items = el("ul");
    resources.forEach(function (r) {
      items.appendChild(el("li", null, el("strong", null, r.name), ": " + r.how, r.detail ? el("div", { className: "small" }, r.detail) : null));
    });
    box.appendChild(items);
    box.hidden = false;
  }

  var postForm = H.$("post-form");
  var postBody = H.$("post-body");
  postForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = postBody.value;
    H.fieldError(postBody, "");
    if (!text.trim()) {
      H.fieldError(postBody, "Write something first.");
      postBody.focus();
      return;
    }
    H.busy(H.$("post-button"), H.$("post-status"), function () {
      return call("POST", "/v1/groups/" + encodeURIComponent(groupId) + "/messages", { body: text });
    }, "Sending…").then(function (posted) {
      H.say(H.$("post-status"), "", "");
      postBody.value = "";
      list.scrollTop = list.scrollHeight;
      merge([posted.message], false);
      list.scrollTop = list.scrollHeight;
      if (posted.resources && posted.resources.length) showHelp(posted.resources);
      postBody.focus();
    }, function (error) {
      // a muted or rate-limited writer whose words read as a crisis still gets the help
      if (error && error.resources && error.resources.length) showHelp(error.resources);
    });
  });
  postBody.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      postForm.requestSubmit();
    }
  });

  // --- reminders and contact ------------------------------------------------------------------

  function renderReminders() {
    var reminders = me.reminders;
    H.$("channel-sms").checked = reminders.channels.indexOf("sms") >= 0;
    H.$("channel-email").checked = reminders.channels.indexOf("email") >= 0;
    var leads = LEADS.slice();
    reminders.lead_minutes.forEach(function (m) {
      if (!leads.some(function (l) { return l[0] === m; })) leads.push([m, m + " minutes before"]);
    });
    var box = H.clear(H.$("lead-choices"));
    leads.forEach(function (lead) {
      var input = el("input", { type: "checkbox", name: "lead", value: String(lead[0]), id: "lead-" + lead[0] });
      input.checked = reminders.lead_minutes.indexOf(lead[0]) >= 0;
      box.appendChild(el("label", { className: "choice" }, input, " ", el("span", null, lead[1])));
    });
    var quiet = reminders.quiet_hours;
    H.$("quiet-on").checked = !!quiet;
    if (quiet) {
      H.$("quiet-start").value = quiet.start;
      H.$("quiet-end").value = quiet.end;
    }
    H.$("quiet-times").hidden = !quiet;
  }

  H.$("quiet-on").addEventListener("change", function () {
    H.$("quiet-times").hidden = !H.$("quiet-on").checked;
  });

  H.$("reminders-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    var channels = Array.from(form.querySelectorAll('input[name="channel"]:checked')).map(function (i) { return i.value; });
    var leads = Array.from(form.querySelectorAll('input[name="lead"]:checked')).map(function (i) { return Number(i.value); });
    var region = H.$("reminders-status");
    if (!leads.length) {
      H.say(region, "error", "Choose at least one time for reminders under “When”.");
      form.querySelector('input[name="lead"]').focus();
      return;
    }
    var body = {
      channels: channels,
      lead_minutes: leads,
      quiet_hours: H.$("quiet-on").checked ? { start: H.$("quiet-start").value, end: H.$("quiet-end").value } : null,
    };
    H.busy(H.$("reminders-save"), region, function () {
      return call("PATCH", "/v1/me", { reminders: body });
    }, "Saving…").then(function (updated) {
      me = updated;
      renderReminders();
      var text = channels.length ? "Saved. Reminders will come by " + channels.map(function (c) { return c === "sms" ? "text message" : "email"; }).join(" and ") + "." : "Saved. You won't get reminders.";
      var unverified = channels.filter(function (c) { return !(me.contact[c] && me.contact[c].status === "verified"); });
      if (unverified.length) text += " Verify your " + unverified.map(function (c) { return c === "sms" ? "phone" : "email"; }).join(" and ") + " below so they can reach you.";
      H.say(region, "ok", text);
    }, function () {});
  });

  var CONTACT = {
    sms: { key: "phone", title: "phone", form: "phone-form", verify: "phone-verify-form", input: "phone", code: "phone-code", state: "phone-state", status: "phone-status", remove: "phone-remove", send: "phone-send", check: "phone-verify", none: "No phone number yet. Add one to get reminders by text." },
    email: { key: "email", title: "email", form: "email-form", verify: "email-verify-form", input: "email", code: "email-code", state: "email-state", status: "email-status", remove: "email-remove", send: "email-send", check: "email-verify", none: "No email address yet. Add one to get reminders by email." },
  };

  function renderContact(channel) {
    var c = CONTACT[channel];
    var found = me.contact[channel];
    var state = H.$(c.state);
    H.clear(state);
    if (!found) {
      state.textContent = c.none;
    } else {
      var label = { pending: ["tag warn", "Waiting for the code"], verified: ["tag ok", "Verified"], opted_out: ["tag danger", channel === "sms" ? "You replied STOP: text START to turn texts back on" : "Unsubscribed"] }[found.status];
      state.appendChild(el("span", null, found.masked + " "));
      state.appendChild(el("span", { className: label[0] }, label[1]));
    }
    H.$(c.verify).hidden = !(found && found.status === "pending");
    H.$(c.remove).hidden = !found;
    H.$(c.send).textContent = channel === "sms" ? (found ? "Text a code to a new number" : "Text me a code") : (found ? "Email a code to a new address" : "Email me a code");
  }

  Object.keys(CONTACT).forEach(function (channel) {
    var c = CONTACT[channel];
    H.$(c.form).addEventListener("submit", function (event) {
      event.preventDefault();
      var input = H.$(c.input);
      H.fieldError(input, "");
      if (!input.value.trim()) {
        H.fieldError(input, channel === "sms" ? "Enter your mobile number." : "Enter your email address.");
        input.focus();
        return;
      }
      var body = {};
      body[c.key] = input.value.trim();
      H.busy(H.$(c.send), H.$(c.status), function () {
        return call("PUT", "/v1/me/contact", body);
      }, "Sending a code…").then(function (updated) {
        me = updated;
        renderContact(channel);
        input.value = "";
        var masked = me.contact[channel] ? me.contact[channel].masked : "";
        H.say(H.$(c.status), "ok", "We sent a 6-digit code to " + masked + ". Enter it below.");
        H.$(c.code).focus();
      }, function (error) {
        if (error && error.fields && error.fields[c.key]) H.fieldError(input, error.fields[c.key]);
      });
    });
    H.$(c.verify).addEventListener("submit", function (event) {
      event.preventDefault();
      var input = H.$(c.code);
      H.fieldError(input, "");
      var code = input.value.replace(/\D/g, "");
      if (code.length !== 6) {
        H.fieldError(input, "The code has 6 digits.");
        input.focus();
        return;
      }
      H.busy(H.$(c.check), H.$(c.status), function () {
        return call("POST", "/v1/me/contact/verify", { channel: channel, code: code });
      }, "Checking the code…").then(function (updated) {
        me = updated;
        input.value = "";
        renderContact(channel);
        H.say(H.$(c.status), "ok", channel === "sms" ? "Your phone is verified." : "Your email is verified.");
        H.$(c.state).setAttribute("tabindex", "-1");
        H.$(c.state).focus();
      }, function (error) {
        if (error && (error.status === 409 || error.status === 410 || error.status === 422)) H.fieldError(input, error.message);
      });
    });
    H.$(c.remove).addEventListener("click", function () {
      var body = {};
      body[c.key] = null;
      H.busy(H.$(c.remove), H.$(c.status), function () {
        return call("PUT", "/v1/me/contact", body);
      }, "Removing…").then(function (updated) {
        me = updated;
        renderContact(channel);
        H.say(H.$(c.status), "ok", channel === "sms" ? "Your phone number was removed." : "Your email address was removed.");
        H.$(c.input).focus();
      }, function () {});
    });
  });

  // --- calendar -------------------------------------------------------------------------------

  function renderCalendar() {
    var url = me.calendar_url;
    H.$("calendar-download").href = url;
    H.$("calendar-add").href = url.replace(/^https?:/, "webcal:");
    var slot = H.clear(H.$("calendar-copy"));
    slot.appendChild(el("label", { for: "calendar-url", className: "hint" }, "Your private calendar link"));
    var row = H.copyField("calendar-url", "Private calendar link", url, H.$("calendar-status"));
    slot.appendChild(row);
  }

  H.$("calendar-rotate").addEventListener("click", function () {
    var button = H.$("calendar-rotate");
    H.busy(button, H.$("calendar-status"), function () {
      return call("POST", "/v1/me/calendar-token");
    }, "Making a new link…").then(function (data) {
      me.calendar_url = data.calendar_url;
      renderCalendar();
      H.say(H.$("calendar-status"), "ok", "Here is your new private link. The old one no longer works.");
    }, function () {});
  });

  // --- leaving --------------------------------------------------------------------------------

  var leave = H.$("leave");
  var confirmBox = H.$("leave-confirm");
  leave.addEventListener("click", function () {
    confirmBox.hidden = false;
    leave.setAttribute("aria-expanded", "true");
    H.$("leave-no").focus();
  });
  H.$("leave-no").addEventListener("click", function () {
    confirmBox.hidden = true;
    leave.setAttribute("aria-expanded", "false");
    leave.focus();
  });
  H.$("leave-yes").addEventListener("click", function () {
    leaving = true;
    H.busy(H.$("leave-yes"), H.$("leave-status"), function () {
      return call("DELETE", "/v1/me");
    }, "Erasing your data…").then(function () {
      stopLive();
      H.membership.forget(groupId);
      H.$("room").hidden = true;
      H.$("left").hidden = false;
      document.title = "Hearth · You've left the group";
      H.$("main").focus();
    }, function () {
      leaving = false;
    });
  });

  // --- start ----------------------------------------------------------------------------------

  // A link from an SMS carries a one-time sign-in secret after "#login=". Link previewers fetch
  // URLs (and never send the fragment anyway), so it is used only when the person presses Continue.
  function signInFromLink() {
    var login = new URLSearchParams(window.location.hash.slice(1)).get("login");
    if (!login) return false;
    window.history.replaceState(null, "", window.location.pathname);
    H.$("sign-in").hidden = false;
    // Someone else's link must not quietly replace this browser's sign-in: say so, offer to keep it.
    var current = H.membership.get(groupId);
    if (current) {
      H.$("sign-in-current").textContent = current.handle || "a member";
      H.$("sign-in-replace").hidden = false;
      H.$("sign-in-keep").hidden = false;
      H.$("sign-in-keep").addEventListener("click", function () {
        H.$("sign-in").hidden = true;
        start();
      });
    }
    H.$("sign-in-go").addEventListener("click", function () {
      H.busy(H.$("sign-in-go"), H.$("sign-in-status"), function () {
        return H.api("POST", "/v1/login", { body: { login: login } });
      }, "Opening your group…").then(function (joined) {
        H.membership.set(joined.group_id, { token: joined.token, member_id: joined.member_id, handle: joined.handle });
        token = joined.token;
        H.$("sign-in").hidden = true;
        start();
      }, function () {});
    });
    return true;
  }

  function start() {
    if (!token) {
      signedOut(null, false);
      return;
    }
    H.say(status, "loading", "Loading your group…");
    Promise.all([call("GET", "/v1/me"), call("GET", "/v1/groups/" + encodeURIComponent(groupId))]).then(
      function (results) {
        me = results[0];
        group = results[1];
        if (me.group_id !== groupId) {
          signedOut(null, true);
          return;
        }
        H.say(status, "", "");
        H.$("room").hidden = false;
        renderHeader();
        renderReminders();
        renderContact("sms");
        renderContact("email");
        renderCalendar();
        loadSessions();
        loadMessages(true).then(function () {
          if (stopped) return;
          var newest = function () { return loadMessages(false); };
          liveRoom = H.live({ token: token, pollMs: MESSAGE_POLL_MS, poll: newest, catchUp: newest, onFrame: pushed });
        });
        window.setInterval(function () {
          if (!stopped && document.visibilityState !== "hidden") loadSessions();
        }, SESSION_POLL_MS);
        window.setInterval(function () {
          if (!stopped && joinable(Date.now()) !== shownJoinable) renderSessions();
        }, 15000);
      },
      function (error) {
        if (stopped) return;
        H.say(status, "error", "We couldn't load your group. " + H.errorText(error));
        var retry = el("button", { type: "button", className: "secondary" }, "Try again");
        retry.addEventListener("click", start);
        status.appendChild(el("div", { className: "actions" }, retry));
      }
    );
  }

  if (!signInFromLink()) start();
})();
