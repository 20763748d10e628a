/* The facilitator console: sign in with the facilitator token; every group they run (from
   GET /v1/facilitator/groups, never from this browser's storage) with its open alerts; the alert
   queue (mark handled, with the history); the room itself, live through H.live, to read, post,
   reply, hide and mute; members, co-facilitators, the audit trail; invite links with a locally
   drawn QR code; scheduling in plain words; sessions with who is going and the waitlist. */
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

  var ROOM_POLL_MS = 5000;

  var token = null;
  var groups = new Map(); // group_id -> Group with open_alerts
  var current = null; // the open Group
  var alertsTimer = null;
  var liveRoom = null; // H.live() for the open group's room
  var roomMessages = new Map(); // message_id -> {data, node}
  var roster = []; // the open group's members and facilitators

  function call(method, path, body) {
    return H.api(method, path, { token: token, body: body }).catch(function (error) {
      if (error.status === 401) signOut("Your facilitator token is no longer valid. Sign in again.");
      throw error;
    });
  }

  // --- signing in -----------------------------------------------------------------------------

  function signOut(text) {
    token = null;
    H.save("facilitator", null);
    groups.clear();
    current = null;
    stopRoom();
    if (alertsTimer) window.clearInterval(alertsTimer);
    H.$("alerts-total").hidden = true;
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
      return H.api("GET", "/v1/facilitator/groups", { token: given });
    }, "Checking your token…").then(function (mine) {
      H.say(H.$("sign-in-status"), "", "");
      H.save("facilitator", { token: given });
      start(given, mine);
    }, function (error) {
      if (error && error.status === 401) H.fieldError(input, "That token isn't valid. Check it and try again.");
      input.focus();
    });
  });

  function start(given, mine) {
    token = given;
    H.$("sign-in").hidden = true;
    H.$("console").hidden = false;
    H.$("sign-out").hidden = false;
    showGroups(mine.groups);
  }

  // --- the group list -------------------------------------------------------------------------

  function showGroups(list) {
    groups.clear();
    list.forEach(function (g) { groups.set(g.group_id, g); });
    H.say(status, "", "");
    renderGroupList();
    if (!groups.size) {
      showCreate(true);
      return;
    }
    var wanted = decodeURIComponent(window.location.hash.slice(1));
    var first = groups.has(wanted) ? wanted : firstWithAlerts() || groups.keys().next().value;
    openGroup(first, false);
  }

  function firstWithAlerts() {
    var found = null;
    groups.forEach(function (g, id) { if (!found && g.open_alerts > 0) found = id; });
    return found;
  }

  function refreshCounts() {
    return call("GET", "/v1/facilitator/groups").then(function (mine) {
      mine.groups.forEach(function (g) {
        var known = groups.get(g.group_id);
        if (known) known.open_alerts = g.open_alerts;
        else groups.set(g.group_id, g);
      });
      renderGroupList();
    }, function () {});
  }

  function alertsText(count) {
    return count === 1 ? "1 open alert" : count + " open alerts";
  }

  function renderGroupList() {
    var list = H.clear(H.$("group-list"));
    var total = 0;
    groups.forEach(function (g) { total += g.open_alerts || 0; });
    var badge = H.$("alerts-total");
    badge.hidden = total === 0;
    badge.textContent = alertsText(total);
    if (!groups.size) {
      list.appendChild(el("li", { className: "muted" }, "No groups yet."));
      return;
    }
    groups.forEach(function (g, id) {
      var count = g.open_alerts || 0;
      var button = el(
        "button",
        { type: "button", "aria-current": current && current.group_id === id ? "true" : "false", dataset: { group: id } },
        el("span", { className: "grow" }, g.name),
        count ? el("span", { className: "count" }, el("span", { className: "visually-hidden" }, ", "), alertsText(count)) : null
      );
      button.addEventListener("click", function () { openGroup(id, true); });
      list.appendChild(el("li", null, button));
    });
  }

  // --- creating a group -----------------------------------------------------------------------

  H.$("g-timezone-slot").appendChild(zonePicker("g-timezone", H.deviceZone()));

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
      g.open_alerts = 0;
      groups.set(g.group_id, g);
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
    H.$("handled-details").open = false;
    H.$("audit-details").open = false;
    H.$("edit-details").open = false;
    loadSessions();
    loadRoster().then(function () { loadAlerts(true); });
    startRoom();
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
    H.$("group-meta").textContent = meta.join(" · ");
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
      g.open_alerts = (groups.get(g.group_id) || {}).open_alerts || 0;
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

  // --- plain words for times and rules ----------------------------------------------------------

  /** "19:00" -> "7:00 PM" */
  function plainTime(hhmm) {
    var parts = /^(\d{2}):(\d{2})/.exec(hhmm || "");
    if (!parts) return hhmm || "";
    var hour = Number(parts[1]);
    return (hour % 12 || 12) + ":" + parts[2] + " " + (hour >= 12 ? "PM" : "AM");
  }

  /** "2026-12-01" -> "Tue, Dec 1" (a wall-clock date: no zone conversion) */
  function plainDate(day, withYear) {
    var date = new Date(day + "T12:00:00Z");
    if (isNaN(date.getTime())) return day;
    var options = { timeZone: "UTC", weekday: "short", month: "short", day: "numeric" };
    if (withYear) options.year = "numeric";
    return new Intl.DateTimeFormat("en-US", options).format(date);
  }

  function ruleParts(rrule) {
    var parts = {};
    String(rrule || "").split(";").forEach(function (piece) {
      var kv = piece.split("=");
      if (kv.length === 2) parts[kv[0].toUpperCase()] = kv[1].toUpperCase();
    });
    return parts;
  }

  function dayName(code) {
    var found = DAYS.filter(function (d) { return d[0] === code; })[0];
    return found ? found[2] : code;
  }

  function joinWords(words) {
    if (words.length < 2) return words.join("");
    return words.slice(0, -1).join(", ") + " and " + words[words.length - 1];
  }

  /** "Every Tuesday at 7:00 PM, 60 minutes, starting Tue, Dec 1" */
  function describeSeries(rrule, startLocal, minutes) {
    var parts = ruleParts(rrule);
    var every = Number(parts.INTERVAL || 1);
    var text;
    var byday = parts.BYDAY ? parts.BYDAY.split(",") : [];
    if (parts.FREQ === "WEEKLY") {
      var weekday = DAYS[dateFacts(startLocal.slice(0, 10)) ? dateFacts(startLocal.slice(0, 10)).weekday : 0][0];
      var names = (byday.length ? byday : [weekday]).map(dayName);
      text = (every === 2 ? "Every other " : every > 2 ? "Every " + every + " weeks on " : "Every ") + joinWords(names);
    } else if (parts.FREQ === "MONTHLY") {
      var nth = /^(-?\d)([A-Z]{2})$/.exec(byday[0] || "");
      if (nth) text = "Every month on the " + (nth[1] === "-1" ? "last" : ORDINALS[Number(nth[1]) - 1]) + " " + dayName(nth[2]);
      else text = "Every month on day " + (parts.BYMONTHDAY || Number(startLocal.slice(8, 10)));
    } else if (parts.FREQ === "DAILY") {
      text = every > 1 ? "Every " + every + " days" : "Every day";
    } else {
      text = "Repeating";
    }
    text += " at " + plainTime(startLocal.slice(11, 16));
    if (minutes) text += ", " + minutes + " minutes";
    text += ", starting " + plainDate(startLocal.slice(0, 10));
    if (parts.COUNT) text += ", " + parts.COUNT + " times";
    if (parts.UNTIL) text += ", until " + plainDate(parts.UNTIL.slice(0, 4) + "-" + parts.UNTIL.slice(4, 6) + "-" + parts.UNTIL.slice(6, 8));
    return text;
  }

  /** The first `n` local dates a weekly or monthly rule gives from `startDay` (wall-clock, "YYYY-MM-DD"). */
  function upcomingDays(rrule, startDay, n) {
    var parts = ruleParts(rrule);
    var facts = dateFacts(startDay);
    if (!facts) return [];
    var start = new Date(startDay + "T12:00:00Z");
    var every = Number(parts.INTERVAL || 1);
    var count = parts.COUNT ? Number(parts.COUNT) : Infinity;
    var until = parts.UNTIL ? parts.UNTIL.slice(0, 4) + "-" + parts.UNTIL.slice(4, 6) + "-" + parts.UNTIL.slice(6, 8) : null;
    var byday = parts.BYDAY ? parts.BYDAY.split(",") : [];
    var found = [];
    var startMonday = start.getTime() - facts.weekday * 86400000;
    for (var i = 0; i < 800 && found.length < Math.min(n, count); i++) {
      var date = new Date(start.getTime() + i * 86400000);
      var day = date.toISOString().slice(0, 10);
      if (until && day > until) break;
      var f = dateFacts(day);
      var code = DAYS[f.weekday][0];
      var ok = false;
      if (parts.FREQ === "WEEKLY") {
        var week = Math.floor((date.getTime() - startMonday) / (7 * 86400000));
        ok = week % every === 0 && (byday.length ? byday.indexOf(code) >= 0 : f.weekday === facts.weekday);
      } else if (parts.FREQ === "MONTHLY") {
        var nth = /^(-?\d)([A-Z]{2})$/.exec(byday[0] || "");
        if (nth) ok = code === nth[2] && (nth[1] === "-1" ? f.last : f.nth === Number(nth[1]));
        else ok = f.day === Number(parts.BYMONTHDAY || facts.day);
      } else if (parts.FREQ === "DAILY") {
        ok = i % every === 0;
      }
      if (ok) found.push(day);
    }
    return found;
  }

  // --- a searchable time-zone picker --------------------------------------------------------------

  function zoneOffset(zone) {
    try {
      var part = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "shortOffset" })
        .formatToParts(new Date())
        .filter(function (p) { return p.type === "timeZoneName"; })[0];
      return part ? part.value.replace("GMT", "UTC").replace(/^UTC$/, "UTC+0") : "";
    } catch (ignored) {
      return "";
    }
  }

  function zoneLabel(zone) {
    var city = zone.split("/").pop().replace(/_/g, " ");
    var area = zone.indexOf("/") > 0 ? zone.split("/")[0].replace(/_/g, " ") : "";
    return city + (area && area !== city ? " (" + area + ")" : "") + " · " + zoneOffset(zone);
  }

  /** A select of every zone by friendly name and current offset, with a filter field above it. */
  function zonePicker(id, selected) {
    var select = H.zoneSelect({ id: id }, selected);
    Array.from(select.options).forEach(function (option) {
      option.textContent = zoneLabel(option.value);
    });
    var searchId = id + "-search";
    var search = el("input", { type: "search", id: searchId, autocomplete: "off", spellcheck: "false", placeholder: "e.g. Chicago, London", "aria-controls": id });
    search.addEventListener("input", function () {
      var words = search.value.trim().toLowerCase().replace(/\s+/g, "_");
      var first = null;
      Array.from(select.options).forEach(function (option) {
        var hit = !words || option.value.toLowerCase().indexOf(words) >= 0 || option.textContent.toLowerCase().indexOf(search.value.trim().toLowerCase()) >= 0;
        option.hidden = !hit;
        if (hit && !first) first = option;
      });
      if (first && select.selectedOptions[0] && select.selectedOptions[0].hidden) {
        select.value = first.value;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
    return el("span", { className: "zone-picker" }, el("label", { for: searchId, className: "hint" }, "Find a zone by city"), search, select);
  }

  // --- scheduling -----------------------------------------------------------------------------

  var daysTouched = false;
  var scheduleShown = false;

  function resetSeriesForm() {
    var form = H.$("series-form");
    form.reset();
    daysTouched = false;
    var slot = H.clear(H.$("s-timezone-slot"));
    slot.appendChild(zonePicker("s-timezone", current.timezone));
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
    var next = H.clear(H.$("s-next"));
    var day = H.$("s-date").value;
    var time = H.$("s-time").value;
    if (!built.rule || !day || !time) {
      H.$("s-summary").textContent = built.rule ? "Choose the first date and the time." : built.text;
      return;
    }
    var zone = H.$("s-timezone").value;
    H.$("s-summary").textContent = describeSeries(built.rule, day + "T" + time, Number(H.$("s-duration").value || 60)) + ".";
    var dates = upcomingDays(built.rule, day, 4);
    if (dates.length) {
      next.appendChild(el("span", { className: "muted" }, "Next sessions (" + zone.replace(/_/g, " ") + " time): "));
      next.appendChild(document.createTextNode(dates.map(function (d) { return plainDate(d) + ", " + plainTime(time); }).join(" · ")));
    }
  }

  H.$("series-form").addEventListener("input", syncSeries);
  H.$("series-form").addEventListener("change", syncSeries);

  var SERIES_FIELDS = { title: "s-title", start_local: "s-date", timezone: "s-timezone", duration_minutes: "s-duration", rrule: "s-custom", capacity: "s-capacity", conference_url: "s-url" };

  var scheduling = false;

  H.$("series-form").addEventListener("submit", function (event) {
    event.preventDefault();
    if (scheduling) return; // a double click or a second Enter never makes a second series
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
    scheduling = true;
    H.busy(H.$("series-button"), region, function () {
      return call("POST", "/v1/groups/" + encodeURIComponent(current.group_id) + "/series", body);
    }, "Scheduling…").finally(function () { scheduling = false; }).then(function (series) {
      H.say(region, "", "");
      showScheduled(series, describeSeries(series.rrule, series.start_local, series.duration_minutes) + " (" + series.timezone.replace(/_/g, " ") + " time).");
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

  var shownSessions = [];

  /** Edit this and following: from one of the series' coming sessions, a new weekday, time or length. */
  function changeSeries(series, actions, region) {
    H.clear(actions);
    var base = "c-" + series.series_id.replace(/[^A-Za-z0-9]/g, "");
    var coming = shownSessions.filter(function (x) { return x.series_id === series.series_id && x.status === "scheduled" && new Date(x.start).getTime() > Date.now(); });
    if (!coming.length) {
      actions.appendChild(el("p", { className: "muted" }, "No coming sessions of this series to change."));
      return;
    }
    var from = el("select", { id: base + "-from" });
    coming.forEach(function (x) {
      from.appendChild(el("option", { value: x.session_id }, plainDate(x.start_local.slice(0, 10)) + ", " + plainTime(x.start_local.slice(11, 16))));
    });
    var parts = ruleParts(series.rrule);
    var weekly = parts.FREQ === "WEEKLY" && (!parts.BYDAY || parts.BYDAY.split(",").length === 1);
    var day = el("select", { id: base + "-day" });
    DAYS.forEach(function (d) { day.appendChild(el("option", { value: d[0] }, d[2])); });
    day.value = parts.BYDAY || DAYS[dateFacts(series.start_local.slice(0, 10)).weekday][0];
    var time = el("input", { type: "time", id: base + "-time", value: series.start_local.slice(11, 16) });
    var length = el("input", { type: "number", id: base + "-length", min: "15", max: "240", step: "5", value: String(series.duration_minutes) });
    var words = el("p", { className: "plain", "aria-live": "polite" });
    var save = el("button", { type: "submit" }, "Save the change");
    var back = el("button", { type: "button", className: "secondary" }, "Don't change");
    var form = el(
      "form",
      { novalidate: true },
      el(
        "div",
        { className: "row" },
        el("div", { className: "field grow" }, el("label", { for: from.id }, "From the session on"), from),
        weekly ? el("div", { className: "field grow" }, el("label", { for: day.id }, "New day"), day) : null,
        el("div", { className: "field grow" }, el("label", { for: time.id }, "New time (" + series.timezone.replace(/_/g, " ") + ")"), time),
        el("div", { className: "field grow" }, el("label", { for: length.id }, "Length in minutes"), length)
      ),
      words,
      el("div", { className: "actions" }, save, back)
    );
    function chosen() {
      return coming.filter(function (x) { return x.session_id === from.value; })[0];
    }
    function startDay() {
      var session = chosen();
      var facts = dateFacts(session.start_local.slice(0, 10));
      if (!weekly) return session.start_local.slice(0, 10);
      var shift = (DAYS.map(function (d) { return d[0]; }).indexOf(day.value) - facts.weekday + 7) % 7;
      return new Date(new Date(session.start_local.slice(0, 10) + "T12:00:00Z").getTime() + shift * 86400000).toISOString().slice(0, 10);
    }
    function newRule() {
      if (!weekly) return series.rrule;
      return series.rrule.split(";").map(function (p) { return /^BYDAY=/i.test(p) ? "BYDAY=" + day.value : p; }).join(";") + (parts.BYDAY ? "" : ";BYDAY=" + day.value);
    }
    function explain() {
      var session = chosen();
      words.textContent = "From " + plainDate(session.start_local.slice(0, 10)) + " on: " + describeSeries(newRule(), startDay() + "T" + (time.value || "00:00"), Number(length.value)) + ". Sessions before " + plainDate(session.start_local.slice(0, 10)) + " stay as they are; people going are told of any move.";
    }
    form.addEventListener("input", explain);
    form.addEventListener("change", explain);
    explain();
    actions.appendChild(form);
    from.focus();
    back.addEventListener("click", function () { loadSessions(); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var session = chosen();
      H.busy(save, region, function () {
        return call("PATCH", "/v1/series/" + encodeURIComponent(series.series_id), {
          start_local: startDay() + "T" + time.value.slice(0, 5),
          duration_minutes: Number(length.value),
          rrule: newRule(),
          effective_from: session.start,
        });
      }, "Saving…").then(function (changed) {
        loadSessions("Changed from " + plainDate(session.start_local.slice(0, 10)) + " on: " + describeSeries(changed.rrule, changed.start_local, changed.duration_minutes) + ".").then(function () { H.$("sessions-title").focus(); });
      }, function () {});
    });
  }

  function renderSessions(sessions) {
    shownSessions = sessions;
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
    var who = el("button", { type: "button", className: "secondary", "aria-expanded": "false", "aria-label": "Who is coming on " + label }, "Who's coming");
    actions.appendChild(who);
    actions.appendChild(move);
    actions.appendChild(cancel);
    var people = el("div", { className: "rsvps" });
    actions.appendChild(people);
    who.addEventListener("click", function () {
      if (who.getAttribute("aria-expanded") === "true") {
        who.setAttribute("aria-expanded", "false");
        H.clear(people);
        return;
      }
      H.busy(who, region, function () {
        return call("GET", "/v1/sessions/" + encodeURIComponent(s.session_id) + "/rsvps");
      }, "Loading…").then(function (data) {
        H.say(region, "", "");
        who.setAttribute("aria-expanded", "true");
        H.clear(people);
        people.appendChild(el("h3", { className: "small-heading" }, "Going (" + data.going.length + ")"));
        people.appendChild(
          data.going.length
            ? el("ul", { className: "names" }, data.going.map(function (p) { return el("li", null, p.handle); }))
            : el("p", { className: "muted small" }, "Nobody yet.")
        );
        if (data.waitlist.length) {
          people.appendChild(el("h3", { className: "small-heading" }, "Waitlist, in order"));
          people.appendChild(el("ol", { className: "names" }, data.waitlist.map(function (p) { return el("li", null, p.handle); })));
        }
      }, function () {});
    });
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
      var change = el("button", { type: "button", className: "secondary", "aria-label": "Change series " + series.title + " from a date on" }, "Change from a date on");
      actions.appendChild(change);
      actions.appendChild(end);
      change.addEventListener("click", function () { changeSeries(series, actions, region); });
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
          el("div", { className: "meta" }, describeSeries(series.rrule, series.start_local, series.duration_minutes) + " (" + series.timezone.replace(/_/g, " ") + " time)" + (series.capacity ? " · " + series.capacity + " places" : "")),
          region,
          actions
        )
      );
    });
  }

  // --- members and co-facilitators -------------------------------------------------------------

  function groupPath(suffix) {
    return "/v1/groups/" + encodeURIComponent(current.group_id) + (suffix || "");
  }

  function memberByHandle(handle) {
    var key = handle.toLowerCase();
    return roster.filter(function (m) { return m.role === "member" && m.handle.toLowerCase() === key; })[0] || null;
  }

  function isMuted(m) {
    return !!m.muted_until && new Date(m.muted_until).getTime() > Date.now();
  }

  function loadRoster() {
    var forGroup = current.group_id;
    return call("GET", groupPath("/members")).then(function (data) {
      if (!current || current.group_id !== forGroup) return;
      roster = data.members;
      renderMembers();
    }, function (error) {
      H.say(H.$("members-status"), "error", "We couldn't load the members. " + H.errorText(error));
    });
  }

  function renderMembers() {
    var list = H.clear(H.$("members"));
    var staff = H.clear(H.$("staff"));
    var members = roster.filter(function (m) { return m.role === "member"; });
    if (!members.length) list.appendChild(el("li", { className: "empty" }, "No members yet. Share the invite link."));
    members.forEach(function (m) {
      var region = el("span", { className: "muted small", role: "status" });
      var line = el("div", { className: "muted small" }, m.joined_at ? "Joined " + H.dayTime(m.joined_at, current.timezone) : "");
      var item = el("li", { className: "card", dataset: { member: m.member_id } }, el("strong", null, m.handle), line, region);
      if (isMuted(m)) {
        line.appendChild(document.createTextNode(" · "));
        line.appendChild(el("span", { className: "tag warn" }, "Muted until " + H.dayTime(m.muted_until, current.timezone)));
        var unmute = el("button", { type: "button", className: "secondary", "aria-label": "Unmute " + m.handle }, "Unmute");
        unmute.addEventListener("click", function () {
          H.busy(unmute, null, function () {
            return call("DELETE", groupPath("/members/" + encodeURIComponent(m.member_id) + "/mute"));
          }).then(function () {
            loadRoster().then(function () {
              H.say(H.$("members-status"), "ok", m.handle + " can post again.");
            });
          }, function (error) { region.textContent = H.errorText(error); });
        });
        item.appendChild(el("div", { className: "actions" }, unmute));
      }
      list.appendChild(item);
    });
    roster.filter(function (m) { return m.role === "facilitator"; }).forEach(function (f) {
      var region = el("span", { className: "muted small", role: "status" });
      var item = el("li", { className: "card" }, el("strong", null, f.handle), " ", el("span", { className: "muted small" }, f.member_id), region);
      var remove = el("button", { type: "button", className: "secondary", "aria-label": "Stop sharing the group with " + f.handle }, "Remove");
      remove.addEventListener("click", function () {
        H.busy(remove, null, function () {
          return call("DELETE", groupPath("/facilitators/" + encodeURIComponent(f.member_id)));
        }).then(function () {
          H.say(H.$("staff-status"), "ok", f.handle + " no longer runs this group.");
          return loadRoster();
        }, function (error) { region.textContent = " " + H.errorText(error); });
      });
      item.appendChild(el("div", { className: "actions" }, remove));
      staff.appendChild(item);
    });
  }

  /** The trimmed value of a required field, or null after saying what is missing there. */
  function required(input, missing) {
    var value = input.value.trim();
    H.fieldError(input, value ? "" : missing);
    if (!value) input.focus();
    return value || null;
  }

  H.$("staff-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = H.$("staff-id");
    var id = required(input, "Enter their facilitator id.");
    if (!id) return;
    H.busy(H.$("staff-add"), H.$("staff-status"), function () {
      return call("POST", groupPath("/facilitators"), { facilitator_id: id });
    }, "Adding…").then(function (data) {
      roster = data.members;
      renderMembers();
      input.value = "";
      H.say(H.$("staff-status"), "ok", "They can run this group now.");
    }, function (error) {
      if (error && error.status === 404) {
        H.say(H.$("staff-status"), "", "");
        H.fieldError(input, "No facilitator has that id.");
      }
    });
  });

  // --- the room -------------------------------------------------------------------------------

  function stopRoom() {
    if (liveRoom) liveRoom.stop();
    liveRoom = null;
  }

  function startRoom() {
    stopRoom();
    roomMessages.clear();
    H.clear(H.$("room-messages"));
    var forGroup = current.group_id;
    var newest = function () { return loadRoom(forGroup); };
    loadRoom(forGroup).then(function () {
      if (!current || current.group_id !== forGroup) return;
      liveRoom = H.live({ token: token, groupId: forGroup, pollMs: ROOM_POLL_MS, poll: newest, catchUp: newest, onFrame: pushed });
    });
  }

  function loadRoom(forGroup) {
    return call("GET", "/v1/groups/" + encodeURIComponent(forGroup) + "/messages?limit=100").then(function (data) {
      if (!current || current.group_id !== forGroup) return;
      var region = H.$("room-status");
      if (region.classList.contains("error")) H.say(region, "", "");
      mergeRoom(data.messages, true);
    }, function (error) {
      H.say(H.$("room-status"), "error", "We couldn't load the room. " + H.errorText(error));
    });
  }

  function pushed(frame) {
    if (!current) return;
    if (frame.type === "message" && frame.message && frame.message.group_id === current.group_id) {
      mergeRoom([frame.message], false);
      if (frame.message.role === "member") loadAlerts(false); // a crisis or report may have come with it
    } else if (frame.type === "message_hidden" && typeof frame.message_id === "string") {
      dropMessage(frame.message_id);
    }
  }

  function roomKey(m) {
    return m.created_at + "|" + m.message_id;
  }

  function mergeRoom(page, isNewestPage) {
    var list = H.$("room-messages");
    var stick = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
    if (isNewestPage && page.length) {
      var oldest = roomKey(page[page.length - 1]);
      var ids = new Set(page.map(function (m) { return m.message_id; }));
      roomMessages.forEach(function (entry, id) {
        if (!ids.has(id) && roomKey(entry.data) >= oldest) dropMessage(id);
      });
    }
    page.forEach(function (m) {
      if (!roomMessages.has(m.message_id)) roomMessages.set(m.message_id, { data: m, node: roomNode(m) });
    });
    var ordered = Array.from(roomMessages.values()).sort(function (a, b) { return roomKey(a.data) < roomKey(b.data) ? -1 : 1; });
    var empty = list.querySelector(".empty");
    if (empty) empty.remove();
    ordered.forEach(function (entry, index) {
      if (list.children[index] !== entry.node) list.insertBefore(entry.node, list.children[index] || null);
    });
    if (!ordered.length && !list.querySelector(".empty")) list.appendChild(el("li", { className: "empty" }, "No messages yet."));
    if (stick) list.scrollTop = list.scrollHeight;
  }

  function dropMessage(id) {
    var entry = roomMessages.get(id);
    if (!entry) return;
    entry.node.remove();
    roomMessages.delete(id);
  }

  function roomNode(m) {
    var note = el("p", { className: "note", role: "status", "aria-live": "polite" });
    var actions = el("div", { className: "actions" });
    var when = H.dayTime(m.created_at, current.timezone);
    var node = el(
      "li",
      { className: "message" + (m.mine ? " mine" : "") + (m.role === "facilitator" ? " staff" : ""), dataset: { id: m.message_id }, tabIndex: -1 },
      el("div", null, el("span", { className: "who" }, m.mine ? m.handle + " (you)" : m.handle), m.role === "facilitator" ? el("span", { className: "tag" }, "Facilitator") : null, " ", el("time", { className: "time", datetime: m.created_at }, when)),
      el("p", { className: "body" }, m.body),
      actions,
      note
    );
    var hide = el("button", { type: "button", className: "quiet", "aria-label": "Hide the message by " + m.handle + " from " + when }, "Hide");
    hide.addEventListener("click", function () {
      H.busy(hide, null, function () {
        return call("DELETE", "/v1/messages/" + encodeURIComponent(m.message_id));
      }).then(function () {
        dropMessage(m.message_id);
        H.say(H.$("room-status"), "ok", "The message is hidden from everyone.");
      }, function (error) { note.textContent = H.errorText(error); });
    });
    actions.appendChild(hide);
    if (m.role === "member") {
      var mute = el("button", { type: "button", className: "quiet", "aria-label": "Mute " + m.handle + " for 1 hour" }, "Mute 1 hour");
      mute.addEventListener("click", function () {
        var author = memberByHandle(m.handle);
        if (!author) {
          note.textContent = "The author changed their name or left, so they can't be muted from here.";
          return;
        }
        H.busy(mute, null, function () {
          return call("POST", groupPath("/members/" + encodeURIComponent(author.member_id) + "/mute"), { minutes: 60 });
        }).then(function (muted) {
          note.textContent = m.handle + " is muted until " + H.dayTime(muted.muted_until, current.timezone) + ".";
          loadRoster();
        }, function (error) { note.textContent = H.errorText(error); });
      });
      var reply = el("button", { type: "button", className: "quiet", "aria-label": "Reply to " + m.handle }, "Reply");
      reply.addEventListener("click", function () { replyTo(m.handle); });
      actions.appendChild(reply);
      actions.appendChild(mute);
    }
    return node;
  }

  function replyTo(handle) {
    var box = H.$("room-body");
    if (box.value.indexOf("@" + handle) < 0) box.value = "@" + handle + " " + box.value;
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  }

  function showInRoom(messageId) {
    var entry = roomMessages.get(messageId);
    if (!entry) return false;
    roomMessages.forEach(function (e) { e.node.classList.remove("highlight"); });
    entry.node.classList.add("highlight");
    entry.node.scrollIntoView({ block: "center" });
    entry.node.focus();
    return true;
  }

  H.$("room-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var box = H.$("room-body");
    var text = required(box, "Write something first.");
    if (!text) return;
    var forGroup = current.group_id;
    H.busy(H.$("room-post"), H.$("room-status"), function () {
      return call("POST", groupPath("/messages"), { body: text });
    }, "Posting…").then(function (answer) {
      H.say(H.$("room-status"), "", "");
      box.value = "";
      if (current && current.group_id === forGroup) mergeRoom([answer.message], false);
      var list = H.$("room-messages");
      list.scrollTop = list.scrollHeight;
    }, function (error) {
      if (error && error.fields && error.fields.body) H.fieldError(box, error.fields.body);
    });
  });

  // --- alerts ---------------------------------------------------------------------------------

  H.$("alerts-refresh").addEventListener("click", function () {
    loadAlerts(true, H.$("alerts-refresh"));
  });

  H.$("handled-details").addEventListener("toggle", function () {
    if (H.$("handled-details").open) loadHandled();
  });

  function loadAlerts(showLoading, button) {
    var region = H.$("alerts-status");
    var forGroup = current.group_id;
    var work = function () {
      return Promise.all([call("GET", groupPath("/alerts?status=open&limit=100")), call("GET", groupPath("/messages?limit=100"))]);
    };
    var run = showLoading ? H.busy(button || null, region, work, "Loading alerts…") : work();
    return run.then(function (results) {
      if (!current || current.group_id !== forGroup) return;
      if (showLoading || region.classList.contains("error")) H.say(region, "", "");
      var open = results[0].alerts;
      current.open_alerts = open.length;
      renderGroupList();
      renderAlerts(open, results[1].messages);
    }, function (error) {
      if (!showLoading) H.say(region, "error", "We couldn't check for alerts. " + H.errorText(error));
    });
  }

  function loadHandled() {
    var list = H.clear(H.$("handled"));
    list.appendChild(el("li", { className: "muted" }, "Loading…"));
    call("GET", groupPath("/alerts?status=handled&limit=100")).then(function (data) {
      H.clear(list);
      if (!data.alerts.length) list.appendChild(el("li", { className: "empty" }, "Nothing handled yet."));
      data.alerts.forEach(function (alert) {
        list.appendChild(
          el(
            "li",
            { className: "card", dataset: { alert: alert.alert_id } },
            el("span", { className: alert.kind === "crisis" ? "tag danger" : "tag warn" }, alert.kind === "crisis" ? "Crisis" : "Report"),
            " ",
            el("span", { className: "muted small" }, "from " + H.dayTime(alert.created_at, current.timezone)),
            el("div", null, "Handled by " + (alert.handled_by || "a facilitator") + ", " + H.dayTime(alert.handled_at, current.timezone))
          )
        );
      });
    }, function (error) {
      H.clear(list);
      list.appendChild(el("li", { className: "status error" }, H.errorText(error)));
    });
  }

  function renderAlerts(alerts, messages) {
    var list = H.$("alerts");
    if (list.contains(document.activeElement)) return; // don't pull the list from under a facilitator
    H.clear(list);
    if (!alerts.length) {
      list.appendChild(el("li", { className: "empty" }, "No open alerts. All quiet."));
      return;
    }
    var byId = new Map(messages.map(function (m) { return [m.message_id, m]; }));
    alerts.forEach(function (alert) {
      list.appendChild(alertItem(alert, byId.get(alert.message_id)));
    });
  }

  function alertItem(alert, message) {
    var crisis = alert.kind === "crisis";
    var region = el("div", { className: "status", role: "status", "aria-live": "polite" });
    var actions = el("div", { className: "actions" });
    var author = message && message.role === "member" ? memberByHandle(message.handle) : null;
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
    var handled = el("button", { type: "button" }, "Mark handled");
    handled.addEventListener("click", function () {
      H.busy(handled, region, function () {
        return call("PATCH", groupPath("/alerts/" + encodeURIComponent(alert.alert_id)), { status: "handled" });
      }, "Saving…").then(function (done) {
        item.remove();
        H.say(H.$("alerts-status"), "ok", "Marked handled by " + (done.handled_by || "you") + ".");
        current.open_alerts = Math.max(0, (current.open_alerts || 1) - 1);
        renderGroupList();
        if (!H.$("alerts").children.length) H.$("alerts").appendChild(el("li", { className: "empty" }, "No open alerts. All quiet."));
        if (H.$("handled-details").open) loadHandled();
        H.$("alerts-title").focus();
      }, function () {});
    });
    if (message) {
      var open = el("button", { type: "button", className: "secondary" }, "Open in room");
      open.addEventListener("click", function () {
        if (!showInRoom(message.message_id)) H.say(region, "error", "That message is no longer in the room.");
      });
      actions.appendChild(open);
      if (message.role === "member") {
        var reply = el("button", { type: "button", className: "secondary" }, "Reply in room");
        reply.addEventListener("click", function () {
          showInRoom(message.message_id);
          replyTo(message.handle);
        });
        actions.appendChild(reply);
      }
    }
    actions.appendChild(handled);
    if (!message) return item;
    var hide = el("button", { type: "button", className: "secondary" }, "Hide message");
    hide.addEventListener("click", function () {
      H.busy(hide, region, function () {
        return call("DELETE", "/v1/messages/" + encodeURIComponent(message.message_id));
      }, "Hiding…").then(function () {
        hide.remove();
        dropMessage(message.message_id);
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
        return call("POST", groupPath("/members/" + encodeURIComponent(author.member_id) + "/mute"), { minutes: Number(select.value) });
      }, "Muting…").then(function (muted) {
        H.say(region, "ok", author.handle + " is muted until " + H.dayTime(muted.muted_until, current.timezone) + ".");
        loadRoster();
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
          return call("DELETE", groupPath("/members/" + encodeURIComponent(author.member_id)));
        }, "Removing…").then(function () {
          H.clear(moderation);
          H.say(region, "ok", author.handle + " was removed from the group.");
          refreshGroup();
          loadRoster();
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
          el("p", { className: "muted small" }, "Muting or removing someone who may be in crisis is rarely the kind response. Reply in the room first."),
          moderation
        )
      );
    } else {
      actions.appendChild(moderation);
    }
    return item;
  }

  // --- settings: edit the group, the audit trail -------------------------------------------------

  H.$("edit-details").addEventListener("toggle", function () {
    if (!H.$("edit-details").open) return;
    var g = current;
    H.$("e-name").value = g.name;
    H.$("e-description").value = g.description;
    document.querySelector('input[name="e-access"][value="' + g.access + '"]').checked = true;
    H.$("e-listed").checked = g.listed;
    H.$("e-label").value = g.session_label;
    H.$("e-max").value = g.max_members === null ? "" : String(g.max_members);
  });

  var EDIT_FIELDS = { name: "e-name", description: "e-description", session_label: "e-label", max_members: "e-max" };

  H.$("edit-form").addEventListener("submit", function (event) {
    event.preventDefault();
    Object.keys(EDIT_FIELDS).forEach(function (k) { H.fieldError(H.$(EDIT_FIELDS[k]), ""); });
    var body = {
      name: H.$("e-name").value.trim(),
      description: H.$("e-description").value.replace(/\s*[\r\n]+\s*/g, " ").trim(),
      access: document.querySelector('input[name="e-access"]:checked').value,
      listed: H.$("e-listed").checked,
      session_label: H.$("e-label").value.trim() || "your session",
      max_members: H.$("e-max").value ? Number(H.$("e-max").value) : null,
    };
    H.busy(H.$("edit-button"), H.$("edit-status"), function () {
      return call("PATCH", groupPath(), body);
    }, "Saving…").then(function (g) {
      g.open_alerts = current.open_alerts;
      groups.set(g.group_id, g);
      current = g;
      renderGroup();
      renderGroupList();
      H.say(H.$("edit-status"), "ok", "Saved.");
    }, function (error) {
      var first = null;
      Object.keys((error && error.fields) || {}).forEach(function (name) {
        var input = H.$(EDIT_FIELDS[name] || "e-name");
        H.fieldError(input, error.fields[name]);
        first = first || input;
      });
      if (first) first.focus();
    });
  });

  var AUDIT_WORDS = {
    message_hidden: "hid a message by",
    member_muted: "muted",
    member_unmuted: "ended the mute of",
    member_removed: "removed",
    alert_handled: "marked an alert handled",
  };

  H.$("audit-details").addEventListener("toggle", function () {
    if (!H.$("audit-details").open) return;
    var list = H.clear(H.$("audit"));
    call("GET", groupPath("/audit?limit=100")).then(function (data) {
      H.clear(list);
      if (!data.entries.length) list.appendChild(el("li", { className: "empty" }, "Nothing yet."));
      data.entries.forEach(function (e) {
        var what = (e.actor_name || "Someone") + " " + (AUDIT_WORDS[e.action] || e.action) + (e.handle && e.action !== "alert_handled" ? " " + e.handle : "");
        if (e.muted_until) what += " until " + H.dayTime(e.muted_until, current.timezone);
        list.appendChild(el("li", { className: "card" }, el("div", null, what), el("div", { className: "muted small" }, H.dayTime(e.created_at, current.timezone))));
      });
    }, function (error) {
      list.appendChild(el("li", { className: "status error" }, H.errorText(error)));
    });
  });

  // --- start ----------------------------------------------------------------------------------

  var saved = H.load("facilitator");
  if (saved && typeof saved.token === "string") {
    H.say(status, "loading", "Signing you in…");
    H.api("GET", "/v1/facilitator/groups", { token: saved.token }).then(
      function (mine) { start(saved.token, mine); },
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
