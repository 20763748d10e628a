/* Join with an invite: show the group and its guidelines, join only when the button is pressed. */
(function () {
  "use strict";
  var H = window.Hearth;
  var code = H.pageParam();
  var status = H.$("status");
  var form = H.$("join-form");
  var handle = H.$("handle");
  var handleField = H.$("handle-field");
  var joinStatus = H.$("join-status");
  var button = H.$("join-button");
  var zone = H.deviceZone();
  var preview = null;

  function kind(title, text) {
    H.$("invite").hidden = true;
    H.$("kind").hidden = false;
    H.$("kind-title").textContent = title;
    H.$("kind-text").textContent = text;
    H.say(status, "", "");
    document.title = "Hearth · " + title;
    H.$("main").focus();
  }

  function refused(error) {
    if (error.status === 410) {
      kind("This invite has expired", "This invite link has expired or has already been used as many times as it allows.");
    } else if (error.status === 404) {
      kind("We couldn't find this invite", "The link may be mistyped or it may have been turned off.");
    } else {
      return false;
    }
    return true;
  }

  function ownName() {
    return form.querySelector('input[name="name-choice"]:checked').value === "own";
  }

  function show(data) {
    preview = data;
    H.$("group-name").textContent = data.name;
    document.title = "Hearth · Join " + data.name;
    H.$("guidelines").textContent = data.description || "Be kind, keep what others share here private, and speak from your own experience.";
    H.$("zone-note").textContent = "Session times will be shown in " + zone.replace(/_/g, " ") + ", this device's time zone. You can change it later.";
    var already = H.membership.get(data.group_id);
    if (already) {
      H.say(joinStatus, "ok", "You already joined this group on this device.");
      joinStatus.appendChild(H.el("div", { className: "actions" }, H.el("a", { className: "button", href: H.url("/g/" + encodeURIComponent(data.group_id)) }, "Open your group")));
    }
    if (data.full) {
      H.say(joinStatus, "error", "This group is full right now. Ask the facilitator whether a place will open up.");
      button.disabled = true;
    }
    H.say(status, "", "");
    H.$("invite").hidden = false;
  }

  function load() {
    H.api("GET", "/v1/invites/" + encodeURIComponent(code)).then(show, function (error) {
      if (refused(error)) return;
      H.say(status, "error", H.errorText(error));
      var retry = H.el("button", { type: "button", className: "secondary" }, "Try again");
      retry.addEventListener("click", function () {
        H.say(status, "loading", "Checking your invite…");
        load();
      });
      status.appendChild(H.el("div", { className: "actions" }, retry));
    });
  }

  form.addEventListener("change", function (event) {
    if (event.target.name !== "name-choice") return;
    handleField.hidden = !ownName();
    H.fieldError(handle, "");
    if (ownName()) handle.focus();
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!preview) return;
    H.fieldError(handle, "");
    var body = { code: preview.code, timezone: zone };
    if (ownName()) {
      var wanted = handle.value.trim();
      if (wanted.length < 3 || wanted.length > 24) {
        H.fieldError(handle, "Choose a name of 3 to 24 characters, or let us pick one.");
        handle.focus();
        return;
      }
      body.handle = wanted;
    }
    H.busy(button, joinStatus, function () {
      return H.api("POST", "/v1/join", { body: body });
    }, "Joining…").then(
      function (joined) {
        H.membership.set(joined.group_id, { token: joined.token, member_id: joined.member_id, handle: joined.handle });
        H.say(joinStatus, "ok", "You're in. Opening your group…");
        window.location.assign(H.url("/g/" + encodeURIComponent(joined.group_id)));
      },
      function (error) {
        if (!(error instanceof H.ApiError)) return;
        if (refused(error)) return;
        var handleProblem = (error.fields && error.fields.handle) || (error.code === "handle_taken" ? error.message : "");
        if (handleProblem && ownName()) {
          H.say(joinStatus, "error", "Please choose a different name.");
          H.fieldError(handle, handleProblem);
          handle.focus();
        } else if (error.status === 403) {
          H.say(joinStatus, "error", "You can't rejoin this group. If you think this is a mistake, contact the facilitator.");
        }
      }
    );
  });

  if (!code) {
    kind("We couldn't find this invite", "The link is missing its invite code.");
  } else {
    load();
  }
})();
