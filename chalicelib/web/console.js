/* The facilitator console: sign in with the facilitator token, create groups, invite links with
   a locally drawn QR code, schedule series (RRULE helpers), cancel or move sessions, see RSVPs
   and waitlists, and act on alerts (hide, mute, remove). */
(function () {
  "use strict";
  var H = window.Hearth;
  var el = H.el;
  var status = H.$("status");

  var DAYS = [
    ["MO", "Mon", "Monday"],
    ["TU", "Tue", "Tuesday"],
    ["WE", "Wed", "Wednesday"],
    ["TH", "Thu", "Thursday"],
    ["FR", "Fri", "Friday"],
    ["SA", "Sat", "Saturday"],
    ["SU", "Sun", "Sunday"],
  ];
  var ORDINALS = ["first", "second", "third", "fourth", "fifth"];
  var MUTE_CHOICES = [
    [15, "15 minutes"],
    [60, "1 hour"],
    [1440, "1 day"],
    [10080, "7 days"],
  ];

  var token = null;
  var groupsKey = null;
  var groups = new Map(); // group_id -> Group
  var current = null; // the open Group
  var alertsTimer = null;

  function call(method, path, body) {
    return H.api(method, path, { token: token, body: body }).catch(function (error) {
      if (error.status === 401) signOut("Your facilitator token is no longer valid. Sign in again.");
      throw error;
    });
  }

  // --- signing in -----------------------------------------------------------------------------

  function digest(text) {
    if (!(window.crypto && window.crypto.subtle)) return Promise.resolve("default");
    return window.crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(function (buffer) {
      return Array.from(new Uint8Array(buffer).slice(0, 8))
        .map(function (b) { return b.toString(16).padStart(2, "0"); })
        .join("");
    });
  }

  function storedIds() {
    var ids = H.load(groupsKey);
    return Array.isArray(ids) ? ids : [];
  }

  function remember(groupId) {
    var ids = storedIds();
    if (ids.indexOf(groupId) < 0) {
      ids.push(groupId);
      H.save(groupsKey, ids);
    }
  }

  function forget(groupId) {
    H.save(groupsKey, storedIds().filter(function (id) { return id !== groupId; }));
  }

  function signOut(text) {
    token = null;
    H.save("facilitator", null);
    groups.clear();
    current = null;
    if (alertsTimer) window.clearInterval(alertsTimer);
    H.$("console").hidden = true;
    H.$("sign-out").hidden = true;
    H.$("sign-in").hidden = false;
    H.say(status, "", "");
    H.say(H.$("sign-in-status"), text ? "error" : "", text || "");
    H.$("token").value = "";
    H.$("token").focus();
  }

  H.$("sign-out").addEventListener("click", function () {
    signOut("");
    H.say(H.$("sign-in-status"), "ok", "You're signed out.");
  });

  H.$("sign-in-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = H.$("token");
    var given = input.value.trim();
    H.fieldError(input, "");
    if (given.indexOf("hm_") === 0) {
      H.fieldError(input, "That is a member token. Use the facilitator token you were given (it starts with hf_).");
      input.focus();
      return;
    }
    if (!given) {
      H.fieldError(input, "Enter your facilitator token.");
      input.focus();
      return;
    }
    H.busy(H.$("sign-in-button"), H.$("sign-in-status"), function () {
      return H.api("GET", "/v1/groups", { token: given });
    }, "Checking your token…").then(function (directory) {
      H.say(H.$("sign-in-status"), "", "");
      H.save("facilitator", { token: given });
      start(given, directory);
    }, function (error) {
      if (error && error.status === 401) H.fieldError(input, "That token isn't valid. Check it and try again.");
      input.focus();
    });
  });

  function start(given, directory) {
    token = given;
    digest(given).then(function (hash) {
      groupsKey = "console.groups." + hash;
      H.$("sign-in").hidden = true;
      H.$("console").hidden = false;
      H.$("sign-out").hidden = false;
      // Listed groups show their invite only to their own facilitators: those are ours.
      (directory ? directory.groups : []).forEach(function (g) {
        if (g.invite) remember(g.group_id);
      });
      loadGroups();
    });
  }

  // --- the group list -------------------------------------------------------------------------

  function loadGroups() {
    var ids = storedIds();
    var region = H.$("groups-status");
    if (!ids.length) {
      H.say(status, "", "");
      renderGroupList();
      showCreate(true);
      return Promise.resolve();
    }
    H.say(region, "loading", "Loading your groups…");
    return Promise.all(
      ids.map(function (id) {
        return call("GET", "/v1/groups/" + encodeURIComponent(id)).then(
          function (g) {
            groups.set(id, g);
          },
          function (error) {
            if (error.status === 404 || error.status === 403) forget(id);
          }
        );
      })
    ).then(function () {
      H.say(status, "", "");
      H.say(region, "", "");
      renderGroupList();
      var wanted = window.location.hash.slice(1);
      var first = groups.has(wanted) ? wanted : groups.keys().next().value;
      if (first) openGroup(first, false);
      else showCreate(true);
    });
  }

  function renderGroupList() {
    var list = H.clear(H.$("group-list"));
    if (!groups.size) {
      list.appendChild(el("li", { className: "muted" }, "No groups yet."));
      return;
    }
    groups.forEach(function (g, id) {
      var button = el("button", { type: "button", "aria-current": current && current.group_id === id ? "true" : "false" }, g.name);
      button.addEventListener("click", function () { openGroup(id, true); });
      list.appendChild(el("li", null, button));
    });
  }

  H.$("open-group-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = H.$("open-group-id");
    var id = input.value.trim();
    H.fieldError(input, "");
    if (!id) return;
    var path = "/v1/groups/" + encodeURIComponent(id);
    H.busy(H.$("open-group-button"), H.$("groups-status"), function () {
      // Only a group's facilitators may list its invites: this checks the group is ours.
      return call("GET", path + "/invites").then(function () {
        return call("GET", path);
      });
    }, "Opening…").then(function (g) {
      H.say(H.$("groups-status"), "", "");
      groups.set(g.group_id, g);
      remember(g.group_id);
      input.value = "";
      openGroup(g.group_id, true);
    }, function (error) {
      if (error && (error.status === 403 || error.status === 404 || error.status === 422)) {
        H.say(H.$("groups-status"), "", "");
        H.fieldError(input, "No group you facilitate has that id.");
      }
    });
  });

  // --- creating a group -----------------------------------------------------------------------

  H.$("g-timezone-slot").appendChild(H.zoneSelect({ id: "g-timezone" }, H.deviceZone()));

  function showCreate(open) {
    H.$("create").hidden = !open;
    H.$("new-group").setAttribute("aria-expanded", String(open));
    if (open) {
      H.$("group").hidden = true;
      H.$("no-group").hidden = true;
      H.$("g-name").focus();
    } else {
      H.$("no-group").hidden = !!current;
      H.$("group").hidden = !current;
    }
  }

  H.$("new-group").addEventListener("click", function () { showCreate(true); });
  H.$("create-cancel").addEventListener("click", function () {
    showCreate(false);
    H.$("new-group").focus();
  });

  var CREATE_FIELDS = { name: "g-name", topic: "g-topic", description: "g-description", timezone: "g-timezone", max_members: "g-max", session_label: "g-label" };

  H.$("create-form").addEventListener("submit", function (event) {
    event.preventDefault();
    Object.keys(CREATE_FIELDS).forEach(function (k) { H.fieldError(H.$(CREATE_FIELDS[k]), ""); });
    var body = {
      name: H.$("g-name").value.trim(),
      topic: H.$("g-topic").value.trim(),
      // The API keeps guidelines as one plain-text paragraph (no control characters, so no line breaks).
      description: H.$("g-description").value.replace(/\s*[\r\n]+\s*/g, " ").trim(),
      timezone: H.$("g-timezone").value,
      access: document.querySelector('input[name="g-access"]:checked').value,
      listed: H.$("g-listed").checked,
    };
    if (H.$("g-max").value) body.max_members = Number(H.$("g-max").value);
    if (H.$("g-label").value.trim()) body.session_label = H.$("g-label").value.trim();
    if (body.name.length < 3) {
      H.fieldError(H.$("g-name"), "Give the group a name of at least 3 characters.");
      H.$("g-name").focus();
      return;
    }
    if (body.topic.length < 2) {
      H.fieldError(H.$("g-topic"), "Give a topic, like anxiety.");
      H.$("g-topic").focus();
      return;
    }
    H.busy(H.$("create-button"), H.$("create-status"), function () {
      return call("POST", "/v1/groups", body);
    }, "Creating the group…").then(function (g) {
      H.say(H.$("create-status"), "", "");
      event.target.reset();
      H.$("g-timezone").value = H.deviceZone();
      groups.set(g.group_id, g);
      remember(g.group_id);
      H.$("create").hidden = true;
      H.$("new-group").setAttribute("aria-expanded", "false");
      openGroup(g.group_id, true);
      H.say(status, "ok", "“" + g.name + "” is ready. Share the invite link below.");
    }, function (error) {
      var first = null;
      Object.keys((error && error.fields) || {}).forEach(function (name) {
        var input = CREATE_FIELDS[name] && H.$(CREATE_FIELDS[name]);
        if (input) {
          H.fieldError(input, error.fields[name]);
          first = first || input;
        }
      });
      if (first) first.focus();
    });
  });

  // --- one group ------------------------------------------------------------------------------

  function openGroup(id, focus) {
    current = groups.get(id);
    if (!current) return;
    if (window.history.replaceState) window.history.replaceState(null, "", "#" + encodeURIComponent(id));
    H.$("create").hidden = true;
    H.$("no-group").hidden = true;
    H.$("group").hidden = false;
    H.$("series-result").textContent = "";
    renderGroupList();
    renderGroup();
    resetSeriesForm();
    scheduleShown = false;
    loadSessions();
    loadAlerts(true);
    if (alertsTimer) window.clearInterval(alertsTimer);
    alertsTimer = window.setInterval(function () {
      if (document.visibilityState !== "hidden") loadAlerts(false);
    }, 30000);
    if (focus) H.$("group-title").focus();
  }

  function renderGroup() {
    var g = current;
    H.$("group-title").textContent = g.name;
    document.title = "Hearth · " + g.name + " · Console";
    var meta = [g.topic, g.timezone.replace(/_/g, " "), g.member_count + (g.member_count === 1 ? " member" : " members")];
    if (g.max_members) meta[2] += " of " + g.max_members;
    meta.push(g.access === "open" ? "anyone can join" : "invite only");
    meta.push(g.listed ? "listed" : "not listed");
    H.$("group-meta").textContent = meta.join(" · ") + " · id " + g.group_id;
    H.$("sessions-zone").textContent = "Times in the group's zone, " + g.timezone.replace(/_/g, " ") + ".";
    renderInvite();
  }

  // --- invites and the QR code ----------------------------------------------------------------

  function renderInvite() {
    var box = H.clear(H.$("invite-current"));
    var invite = current.invite;
    var region = H.$("invite-status");
    if (current.join_code) {
      box.appendChild(el("p", null, "Anyone can join from the directory with the group's own code, ", el("strong", null, current.join_code), "."));
    }
    if (!invite) {
      box.appendChild(el("p", { className: "muted" }, "There is no active invite link. Make one below."));
      return;
    }
    var expires = invite.expires_at ? "Works until " + H.when(invite.expires_at, current.timezone) : "Never expires";
    var uses = invite.max_uses ? ", used " + invite.uses + " of " + invite.max_uses + " times" : ", used " + invite.uses + (invite.uses === 1 ? " time" : " times");
    box.appendChild(el("p", { className: "muted small" }, expires + uses + "."));
    box.appendChild(el("label", { for: "invite-url", className: "hint" }, "Invite link"));
    box.appendChild(H.copyField("invite-url", "Invite link", invite.url, region));
    box.appendChild(el("label", { for: "invite-code", className: "hint" }, "Invite code"));
    box.appendChild(H.copyField("invite-code", "Invite code", invite.code, region));
    box.appendChild(el("label", { for: "invite-sms", className: "hint" }, "Or people text this to the Hearth number"));
    box.appendChild(H.copyField("invite-sms", "Text to send", invite.sms_text, region));
    var canvas = el("canvas", { className: "qr", id: "invite-qr", role: "img", "aria-label": "QR code for the invite link " + invite.url });
    try {
      window.HearthQR.draw(canvas, window.HearthQR.encode(invite.url), 6);
      var save = el("a", { className: "button secondary", href: canvas.toDataURL("image/png"), download: "hearth-invite-" + invite.code + ".png" }, "Save QR code image");
      box.appendChild(el("div", { className: "row" }, canvas, save));
    } catch (error) {
      box.appendChild(el("p", { className: "muted" }, "The QR code could not be drawn for this link."));
    }
  }

  function loadInvites() {
    var list = H.clear(H.$("invites"));
    list.appendChild(el("li", { className: "muted" }, "Loading invite links…"));
    call("GET", "/v1/groups/" + encodeURIComponent(current.group_id) + "/invites").then(function (data) {
      H.clear(list);
      if (!data.invites.length) list.appendChild(el("li", { className: "muted" }, "No invite links."));
      data.invites.forEach(function (invite) {
        var revoke = el("button", { type: "button", className: "secondary", "aria-label": "Turn off invite " + invite.code }, "Turn off");
        var note = el("span", { className: "muted small", role: "status" });
        revoke.addEventListener("click", function () {
          H.busy(revoke, null, function () {
            return call("DELETE", "/v1/groups/" + encodeURIComponent(current.group_id) + "/invites/" + encodeURIComponent(invite.code));
          }).then(function () {
            refreshGroup().then(loadInvites);
          }, function (error) {
            note.textContent = H.errorText(error);
          });
        });
        list.appendChild(
          el(
            "li",
            { className: "card" },
            el("strong", { className: "rule" }, invite.code),
            " ",
            el("span", { className: invite.active ? "tag ok" : "tag" }, invite.active ? "active" : "off"),
            el("div", { className: "muted small" }, (invite.expires_at ? "until " + H.dayTime(invite.expires_at, current.timezone) : "no end") + " · used " + invite.uses + (invite.max_uses ? " of " + invite.max_uses : "")),
            invite.active ? el("div", { className: "actions" }, revoke, note) : null
          )
        );
      });
    }, function (error) {
      H.clear(list);
      list.appendChild(el("li", { className: "status error" }, H.errorText(error)));
    });
  }

  H.$("invites-details").addEventListener("toggle", function () {
    if (H.$("invites-details").open) loadInvites();
  });

  function refreshGroup() {
    return call("GET", "/v1/groups/" + encodeURIComponent(current.group_id)).then(function (g) {
      groups.set(g.group_id, g);
      current = g;
      renderGroup();
      renderGroupList();
    });
  }

  H.$("invite-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var body = { expires_in_hours: Number(H.$("i-expires").value), rotate: H.$("i-rotate").checked };
    if (H.$("i-uses").value) body.max_uses = Number(H.$("i-uses").value);
    H.busy(H.$("invite-button"), H.$("invite-status"), function () {
      return call("POST", "/v1/groups/" + encodeURIComponent(current.group_id) + "/invites", body);
    }, "Making a link…").then(function (invite) {
      current.invite = invite;
      renderInvite();
      if (H.$("invites-details").open) loadInvites();
      H.say(H.$("invite-status"), "ok", "New invite link made: " + invite.code + ".");
      H.$("invite-url").focus();
    }, function () {});
  });

  // --- scheduling -----------------------------------------------------------------------------

  var daysTouched = false;
  var scheduleShown = false;

  function resetSeriesForm() {
    var form = H.$("series-form");
    form.reset();
    daysTouched = false;
    var slot = H.clear(H.$("s-timezone-slot"));
    slot.appendChild(H.zoneSelect({ id: "s-timezone" }, current.timezone));
    var tomorrow = new Date(Date.now() + 24 * 3600 * 1000);
    H.$("s-date").value = localDate(tomorrow, current.timezone);
    var days = H.clear(H.$("s-days"));
    DAYS.forEach(function (d) {
      var input = el("input", { type: "checkbox", name: "s-day", value: d[0], id: "s-day-" + d[0] });
      input.addEventListener("input", function () { daysTouched = true; }); // before the form's listener
      days.appendChild(el("label", { className: "choice" }, input, " ", el("abbr", { title: d[2] }, d[1])));
      input.setAttribute("aria-label", d[2]);
    });
    syncSeries();
  }

  function localDate(date, zone) {
    try {
      var parts = new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(date);
      var get = function (t) { return parts.filter(function (p) { return p.type === t; })[0].value; };
      return get("year") + "-" + get("month") + "-" + get("day");
    } catch (ignored) {
      return H.isoDay(date);
    }
  }

  function picked(name) {
    var found = document.querySelector('input[name="' + name + '"]:checked');
    return found ? found.value : null;
  }

  /** The weekday (0 = MO) and its place in the month for the first date. */
  function dateFacts(value) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
    var date = new Date(value + "T12:00:00Z");
    if (isNaN(date.getTime())) return null;
    var weekday = (date.getUTCDay() + 6) % 7;
    var day = date.getUTCDate();
    var monthLength = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
    return { weekday: weekday, day: day, nth: Math.floor((day - 1) / 7) + 1, last: day + 7 > monthLength };
  }

  function renderMonthly(facts) {
    var box = H.$("s-monthly");
    var before = picked("s-month");
    H.clear(box);
    if (!facts) return;
    var day = DAYS[facts.weekday];
    var options = [];
    if (facts.nth <= 4) options.push(["nth", "On the " + ORDINALS[facts.nth - 1] + " " + day[2] + " (BYDAY=" + facts.nth + day[0] + ")"]);
    if (facts.last) options.push(["last", "On the last " + day[2] + " (BYDAY=-1" + day[0] + ")"]);
    options.push(["day", "On day " + facts.day + " of the month (BYMONTHDAY=" + facts.day + ")"]);
    options.forEach(function (option, index) {
      var input = el("input", { type: "radio", name: "s-month", value: option[0], id: "s-month-" + option[0] });
      input.checked = before ? before === option[0] : index === 0;
      input.addEventListener("change", syncSeries);
      box.appendChild(el("label", { className: "choice" }, input, " ", el("span", null, option[1])));
    });
    if (!picked("s-month")) box.querySelector("input").checked = true;
  }

  function buildRule() {
    var repeat = picked("s-repeat");
    var facts = dateFacts(H.$("s-date").value);
    var rule;
    if (repeat === "custom") {
      rule = H.$("s-custom").value.trim().replace(/^RRULE:/i, "");
      return { rule: rule, text: rule ? "A custom rule." : "" };
    }
    var time = H.$("s-time").value || "--:--";
    var zone = (H.$("s-timezone") && H.$("s-timezone").value) || current.timezone;
    var text;
    if (repeat === "monthly") {
      if (!facts) return { rule: "", text: "" };
      var day = DAYS[facts.weekday];
      var kind = picked("s-month") || "nth";
      if (kind === "nth") {
        rule = "FREQ=MONTHLY;BYDAY=" + facts.nth + day[0];
        text = "Every month on the " + ORDINALS[facts.nth - 1] + " " + day[2];
      } else if (kind === "last") {
        rule = "FREQ=MONTHLY;BYDAY=-1" + day[0];
        text = "Every month on the last " + day[2];
      } else {
        rule = "FREQ=MONTHLY;BYMONTHDAY=" + facts.day;
        text = "Every month on day " + facts.day;
      }
    } else {
      var days = Array.from(document.querySelectorAll('input[name="s-day"]:checked')).map(function (i) { return i.value; });
      if (!days.length) return { rule: "", text: "Choose at least one day." };
      rule = "FREQ=WEEKLY;" + (repeat === "biweekly" ? "INTERVAL=2;" : "") + "BYDAY=" + days.join(",");
      var names = days.map(function (code) { return DAYS.filter(function (d) { return d[0] === code; })[0][2]; });
      text = (repeat === "biweekly" ? "Every two weeks on " : "Every week on ") + names.join(", ");
    }
    var ends = picked("s-ends");
    if (ends === "count" && H.$("s-count").value) {
      rule += ";COUNT=" + Number(H.$("s-count").value);
      text += ", " + Number(H.$("s-count").value) + " times";
    } else if (ends === "until" && H.$("s-until").value) {
      rule += ";UNTIL=" + H.$("s-until").value.replace(/-/g, "");
      text += ", until " + H.$("s-until").value;
    }
    return { rule: rule, text: text + ", at " + time + " " + zone.replace(/_/g, " ") + "." };
  }

  function syncSeries() {
    var repeat = picked("s-repeat");
    var facts = dateFacts(H.$("s-date").value);
    if (!daysTouched && facts) {
      document.querySelectorAll('input[name="s-day"]').forEach(function (input) {
        input.checked = input.value === DAYS[facts.weekday][0];
      });
    }
    H.$("s-days-set").hidden = !(repeat === "weekly" || repeat === "biweekly");
    H.$("s-monthly-set").hidden = repeat !== "monthly";
    H.$("s-custom-field").hidden = repeat !== "custom";
    H.$("s-count-field").hidden = picked("s-ends") !== "count";
    H.$("s-until-field").hidden = picked("s-ends") !== "until";
    if (repeat === "monthly") renderMonthly(facts);
    var built = buildRule();
    H.$("s-rule").textContent = built.rule || "—";
    H.$("s-summary").textContent = built.text;
  }

  H.$("series-form").addEventListener("input", syncSeries);
  H.$("series-form").addEventListener("change", syncSeries);

  var SERIES_FIELDS = { title: "s-title", start_local: "s-date", timezone: "s-timezone", duration_minutes: "s-duration", rrule: "s-custom", capacity: "s-capacity", conference_url: "s-url" };

  H.$("series-form").addEventListener("submit", function (event) {
    event.preventDefault();
    Object.keys(SERIES_FIELDS).forEach(function (k) { H.fieldError(H.$(SERIES_FIELDS[k]), ""); });
    var region = H.$("series-status");
    var built = buildRule();
    if (!H.$("s-date").value || !H.$("s-time").value) {
      H.fieldError(H.$("s-date"), "Choose the date and time of the first session.");
      H.$("s-date").focus();
      return;
    }
    if (!built.rule) {
      H.say(region, "error", built.text || "Choose how the sessions repeat.");
      return;
    }
    var body = {
      start_local: H.$("s-date").value + "T" + H.$("s-time").value.slice(0, 5),
      timezone: H.$("s-timezone").value,
      duration_minutes: Number(H.$("s-duration").value || 60),
      rrule: built.rule,
    };
    if (H.$("s-title").value.trim()) body.title = H.$("s-title").value.trim();
    if (H.$("s-capacity").value) body.capacity = Number(H.$("s-capacity").value);
    if (H.$("s-url").value.trim()) body.conference_url = H.$("s-url").value.trim();
    H.busy(H.$("series-button"), region, function () {
      return call("POST", "/v1/groups/" + encodeURIComponent(current.group_id) + "/series", body);
    }, "Scheduling…").then(function (series) {
      H.say(region, "", "");
      showScheduled(series, built.text);
      loadSessions();
    }, function (error) {
      var first = null;
      Object.keys((error && error.fields) || {}).forEach(function (name) {
        var target = H.$(SERIES_FIELDS[name === "rrule" && picked("s-repeat") !== "custom" ? "start_local" : name] || "s-date");
        if (target) {
          H.fieldError(target, error.fields[name]);
          first = first || target;
        }
      });
      if (first) first.focus();
    });
  });

  function showScheduled(series, text) {
    var box = H.clear(H.$("series-result"));
    var next = series.next_sessions || [];
    var list = el("ol");
    next.forEach(function (s) {
      list.appendChild(el("li", null, H.when(s.start, series.timezone)));
    });
    var undo = el("button", { type: "button", className: "secondary" }, "Undo: end this series");
    var undoStatus = el("div", { className: "status", role: "status", "aria-live": "polite" });
    undo.addEventListener("click", function () {
      H.busy(undo, undoStatus, function () {
        return call("DELETE", "/v1/series/" + encodeURIComponent(series.series_id));
      }, "Ending the series…").then(function () {
        H.clear(box);
        box.appendChild(el("p", { className: "status ok" }, "The series was ended and its sessions cancelled."));
        box.focus();
        loadSessions();
      }, function () {});
    });
    box.appendChild(
      el(
        "div",
        { className: "status ok" },
        el("strong", null, "Scheduled. "),
        text,
        el("p", null, next.length ? "The next dates, in " + series.timezone.replace(/_/g, " ") + ":" : "No dates fall in the next weeks for this rule.")
      )
    );
    box.appendChild(list);
    box.appendChild(el("div", { className: "actions" }, undo));
    box.appendChild(undoStatus);
    box.focus();
  }

  H.$("s-custom").addEventListener("focus", function () {
    if (!H.$("s-custom").value) H.$("s-custom").value = buildRuleFromHelpers();
  });

  function buildRuleFromHelpers() {
    return H.$("s-rule").textContent === "—" ? "" : H.$("s-rule").textContent;
  }

  // --- sessions and series --------------------------------------------------------------------

  /** Reloads sessions and series; `done` is shown when they are in (a change's confirmation). */
  function loadSessions(done) {
    var region = H.$("sessions-status");
    var groupPath = "/v1/groups/" + encodeURIComponent(current.group_id);
    var from = new Date(Date.now() - 4 * 3600 * 1000).toISOString().replace(/\.\d+Z$/, "Z");
    var to = new Date(Date.now() + 56 * 24 * 3600 * 1000).toISOString().replace(/\.\d+Z$/, "Z");
    H.say(region, "loading", "Loading sessions…");
    var forGroup = current.group_id;
    return Promise.all([
      call("GET", groupPath + "/sessions?from=" + encodeURIComponent(from) + "&to=" + encodeURIComponent(to)),
      call("GET", groupPath + "/series"),
    ]).then(function (results) {
      if (!current || current.group_id !== forGroup) return;
      H.say(region, done ? "ok" : "", done || "");
      renderSessions(results[0].sessions);
      renderSeries(results[1].series);
      if (!scheduleShown) {
        // A group without a series opens on the scheduling form; otherwise it stays folded.
        scheduleShown = true;
        H.$("schedule-details").open = !results[1].series.some(function (s) { return s.status === "active"; });
      }
    }, function (error) {
      H.say(region, "error", "We couldn't load sessions. " + H.errorText(error));
    });
  }

  function renderSessions(sessions) {
    var list = H.clear(H.$("sessions"));
    var now = Date.now();
    sessions = sessions.filter(function (s) { return new Date(s.end).getTime() > now; });
    if (!sessions.length) {
      list.appendChild(el("li", { className: "empty" }, "No sessions in the next 8 weeks. Schedule a series above."));
      return;
    }
    sessions.forEach(function (s) {
      list.appendChild(sessionItem(s));
    });
  }

  function sessionItem(s) {
    var cancelled = s.status === "cancelled";
    var seats = s.going + " going" + (s.capacity !== null ? " of " + s.capacity + " places" : "");
    var waiting = s.waitlisted + " on the waitlist";
    var region = el("div", { className: "status", role: "status", "aria-live": "polite" });
    var actions = el("div", { className: "actions" });
    var item = el(
      "li",
      { className: "session" + (cancelled ? " cancelled" : ""), dataset: { session: s.session_id } },
      el("div", { className: "when" }, H.when(s.start, s.timezone)),
      el("div", { className: "meta" }, s.title + " · " + Math.round((new Date(s.end) - new Date(s.start)) / 60000) + " minutes"),
      cancelled ? el("p", null, el("span", { className: "tag danger" }, "Cancelled")) : el("div", { className: "meta" }, el("strong", null, seats), " · " + waiting),
      region,
      actions
    );
    if (!cancelled) resetSessionActions(s, actions, region);
    return item;
  }

  function resetSessionActions(s, actions, region) {
    H.clear(actions);
    var label = H.dayTime(s.start, s.timezone);
    var move = el("button", { type: "button", className: "secondary", "aria-label": "Move session on " + label }, "Move");
    var cancel = el("button", { type: "button", className: "secondary", "aria-label": "Cancel session on " + label }, "Cancel session");
    actions.appendChild(move);
    actions.appendChild(cancel);
    cancel.addEventListener("click", function () {
      H.clear(actions);
      var yes = el("button", { type: "button", className: "danger" }, "Yes, cancel it");
      var no = el("button", { type: "button", className: "secondary" }, "Keep it");
      actions.appendChild(el("p", null, el("strong", null, "Cancel this session? "), "The " + s.going + " people going will be told."));
      actions.appendChild(yes);
      actions.appendChild(no);
      no.focus();
      no.addEventListener("click", function () {
        resetSessionActions(s, actions, region);
        actions.querySelector("button").focus();
      });
      yes.addEventListener("click", function () {
        H.busy(yes, region, function () {
          return call("PATCH", "/v1/sessions/" + encodeURIComponent(s.session_id), { status: "cancelled" });
        }, "Cancelling…").then(function () {
          loadSessions("The session on " + label + " was cancelled.").then(function () { H.$("sessions-title").focus(); });
        }, function () {});
      });
    });
    move.addEventListener("click", function () {
      H.clear(actions);
      var base = "m-" + s.session_id.replace(/[^A-Za-z0-9]/g, "");
      var date = el("input", { type: "date", id: base + "-date", value: s.start_local.slice(0, 10) });
      var time = el("input", { type: "time", id: base + "-time", value: s.start_local.slice(11, 16) });
      var length = el("input", { type: "number", id: base + "-length", min: "15", max: "240", step: "5", value: String(Math.round((new Date(s.end) - new Date(s.start)) / 60000)) });
      var save = el("button", { type: "submit" }, "Move session");
      var back = el("button", { type: "button", className: "secondary" }, "Don't move");
      var form = el(
        "form",
        { novalidate: true },
        el(
          "div",
          { className: "row" },
          el("div", { className: "field grow" }, el("label", { for: date.id }, "New date"), date),
          el("div", { className: "field grow" }, el("label", { for: time.id }, "New time (" + s.timezone.replace(/_/g, " ") + ")"), time),
          el("div", { className: "field grow" }, el("label", { for: length.id }, "Length in minutes"), length)
        ),
        el("div", { className: "actions" }, save, back)
      );
      actions.appendChild(form);
      date.focus();
      back.addEventListener("click", function () {
        resetSessionActions(s, actions, region);
        actions.querySelector("button").focus();
      });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        H.busy(save, region, function () {
          return call("PATCH", "/v1/sessions/" + encodeURIComponent(s.session_id), {
            start_local: date.value + "T" + time.value.slice(0, 5),
            duration_minutes: Number(length.value),
          });
        }, "Moving…").then(function (moved) {
          loadSessions("Moved to " + H.when(moved.start, moved.timezone) + ". People going were told.").then(function () { H.$("sessions-title").focus(); });
        }, function () {});
      });
    });
  }

  function renderSeries(seriesList) {
    var list = H.clear(H.$("series"));
    var active = seriesList.filter(function (s) { return s.status === "active"; });
    if (!active.length) {
      list.appendChild(el("li", { className: "empty" }, "No active series."));
      return;
    }
    active.forEach(function (series) {
      var region = el("div", { className: "status", role: "status", "aria-live": "polite" });
      var actions = el("div", { className: "actions" });
      var end = el("button", { type: "button", className: "secondary", "aria-label": "End series " + series.title }, "End series");
      actions.appendChild(end);
      end.addEventListener("click", function () {
        H.clear(actions);
        var yes = el("button", { type: "button", className: "danger" }, "Yes, end it");
        var no = el("button", { type: "button", className: "secondary" }, "Keep it");
        actions.appendChild(el("p", null, "End this series? Its future sessions are cancelled and people going are told."));
        actions.appendChild(yes);
        actions.appendChild(no);
        no.focus();
        no.addEventListener("click", function () { loadSessions(); });
        yes.addEventListener("click", function () {
          H.busy(yes, region, function () {
            return call("DELETE", "/v1/series/" + encodeURIComponent(series.series_id));
          }, "Ending…").then(function () {
            loadSessions("The series “" + series.title + "” was ended.").then(function () { H.$("sessions-title").focus(); });
          }, function () {});
        });
      });
      list.appendChild(
        el(
          "li",
          { className: "session" },
          el("div", { className: "when" }, series.title),
          el("div", { className: "meta" }, "From " + series.start_local.replace("T", " ") + " " + series.timezone.replace(/_/g, " ") + " · " + series.duration_minutes + " minutes" + (series.capacity ? " · " + series.capacity + " places" : "")),
          el("div", { className: "meta rule" }, series.rrule),
          region,
          actions
        )
      );
    });
  }

  // --- alerts ---------------------------------------------------------------------------------

  H.$("alerts-refresh").addEventListener("click", function () {
    loadAlerts(true, H.$("alerts-refresh"));
  });

  function loadAlerts(showLoading, button) {
    var region = H.$("alerts-status");
    var groupPath = "/v1/groups/" + encodeURIComponent(current.group_id);
    var forGroup = current.group_id;
    var work = function () {
      return Promise.all([
        call("GET", groupPath + "/alerts?limit=50"),
        call("GET", groupPath + "/messages?limit=100"),
        call("GET", groupPath + "/members"),
      ]);
    };
    var run = showLoading ? H.busy(button || null, region, work, "Loading alerts…") : work();
    return run.then(function (results) {
      if (!current || current.group_id !== forGroup) return;
      if (showLoading || region.classList.contains("error")) H.say(region, "", "");
      renderAlerts(results[0].alerts, results[1].messages, results[2].members);
    }, function (error) {
      if (!showLoading) H.say(region, "error", "We couldn't check for alerts. " + H.errorText(error));
    });
  }

  function renderAlerts(alerts, messages, members) {
    var list = H.$("alerts");
    if (list.contains(document.activeElement)) return; // don't pull the list from under a facilitator
    H.clear(list);
    if (!alerts.length) {
      list.appendChild(el("li", { className: "empty" }, "No alerts. All quiet."));
      return;
    }
    var byId = new Map(messages.map(function (m) { return [m.message_id, m]; }));
    var byHandle = new Map();
    members.forEach(function (m) {
      if (m.role === "member") byHandle.set(m.handle.toLowerCase(), m);
    });
    alerts.forEach(function (alert) {
      list.appendChild(alertItem(alert, byId.get(alert.message_id), byHandle));
    });
  }

  function alertItem(alert, message, byHandle) {
    var crisis = alert.kind === "crisis";
    var region = el("div", { className: "status", role: "status", "aria-live": "polite" });
    var actions = el("div", { className: "actions" });
    var author = message && message.role === "member" ? byHandle.get(message.handle.toLowerCase()) : null;
    var detail = crisis
      ? "Crisis language" + (alert.category ? " (" + alert.category.replace(/_/g, " ") + ")" : "") + ". The writer was shown crisis resources."
      : alert.reason
        ? "Reported. The member wrote: “" + alert.reason + "”"
        : "Reported without a reason.";
    var item = el(
      "li",
      { className: "card alert-item" + (crisis ? " crisis" : ""), dataset: { alert: alert.alert_id } },
      el("p", null, el("span", { className: crisis ? "tag danger" : "tag warn" }, crisis ? "Crisis" : "Report"), " ", el("time", { className: "muted small", datetime: alert.created_at }, H.dayTime(alert.created_at, current.timezone))),
      el("p", null, detail),
      message
        ? el("div", { className: "quote" }, el("strong", null, message.handle + ": "), message.body)
        : el("p", { className: "muted" }, "This message is no longer shown in the room (hidden, deleted or expired)."),
      region,
      actions
    );
    if (!message) return item;
    var hide = el("button", { type: "button", className: "secondary" }, "Hide message");
    hide.addEventListener("click", function () {
      H.busy(hide, region, function () {
        return call("DELETE", "/v1/messages/" + encodeURIComponent(message.message_id));
      }, "Hiding…").then(function () {
        hide.remove();
        H.say(region, "ok", "The message is hidden from everyone.");
      }, function () {});
    });
    actions.appendChild(hide);
    if (!author) {
      if (message.role === "member") actions.appendChild(el("p", { className: "muted small" }, "The author changed their name or left, so they can't be muted from here."));
      return item;
    }
    var selectId = "mute-" + alert.alert_id.replace(/[^A-Za-z0-9]/g, "");
    var select = el("select", { id: selectId });
    MUTE_CHOICES.forEach(function (choice) {
      var option = el("option", { value: String(choice[0]) }, choice[1]);
      if (choice[0] === 60) option.selected = true;
      select.appendChild(option);
    });
    var mute = el("button", { type: "button", className: "secondary" }, "Mute " + author.handle);
    mute.addEventListener("click", function () {
      H.busy(mute, region, function () {
        return call("POST", "/v1/groups/" + encodeURIComponent(current.group_id) + "/members/" + encodeURIComponent(author.member_id) + "/mute", { minutes: Number(select.value) });
      }, "Muting…").then(function (muted) {
        H.say(region, "ok", author.handle + " is muted until " + H.dayTime(muted.muted_until, current.timezone) + ".");
      }, function () {});
    });
    var remove = el("button", { type: "button", className: "danger" }, "Remove " + author.handle);
    var moderation = el(
      "div",
      { className: "actions" },
      el("span", { className: "inline-field" }, el("label", { for: selectId }, "Mute for"), select),
      mute,
      remove
    );
    remove.addEventListener("click", function () {
      var yes = el("button", { type: "button", className: "danger" }, "Yes, remove " + author.handle);
      var no = el("button", { type: "button", className: "secondary" }, "Keep them");
      var confirmBox = el("div", { className: "confirm" }, el("p", null, "Remove " + author.handle + " from the group? They can't rejoin with the same phone or link."), el("div", { className: "actions" }, yes, no));
      moderation.appendChild(confirmBox);
      no.focus();
      no.addEventListener("click", function () {
        confirmBox.remove();
        remove.focus();
      });
      yes.addEventListener("click", function () {
        H.busy(yes, region, function () {
          return call("DELETE", "/v1/groups/" + encodeURIComponent(current.group_id) + "/members/" + encodeURIComponent(author.member_id));
        }, "Removing…").then(function () {
          H.clear(actions);
          H.say(region, "ok", author.handle + " was removed from the group.");
          refreshGroup();
        }, function () {});
      });
    });
    if (crisis) {
      // Someone in crisis needs care first; muting or removing them stays possible, one step away.
      actions.appendChild(
        el(
          "details",
          { className: "more" },
          el("summary", null, "Mute or remove " + author.handle),
          el("p", { className: "muted small" }, "Muting or removing someone who may be in crisis is rarely the kind response. Consider reaching out first."),
          moderation
        )
      );
    } else {
      actions.appendChild(moderation);
    }
    return item;
  }

  // --- start ----------------------------------------------------------------------------------

  var saved = H.load("facilitator");
  if (saved && typeof saved.token === "string") {
    H.say(status, "loading", "Signing you in…");
    H.api("GET", "/v1/groups", { token: saved.token }).then(
      function (directory) { start(saved.token, directory); },
      function (error) {
        if (error.status === 401) signOut("Your saved token is no longer valid. Sign in again.");
        else {
          H.say(status, "error", H.errorText(error));
          var retry = el("button", { type: "button", className: "secondary" }, "Try again");
          retry.addEventListener("click", function () { window.location.reload(); });
          status.appendChild(el("div", { className: "actions" }, retry));
        }
      }
    );
  } else {
    signOut("");
  }
})();
