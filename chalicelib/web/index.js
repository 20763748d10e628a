/* The directory of listed groups: name, topic, guidelines, the next session in this device's zone. */
(function () {
  "use strict";
  var H = window.Hearth;
  var status = H.$("status");
  var list = H.$("groups");
  var zone = H.deviceZone();

  function action(group) {
    if (H.membership.get(group.group_id)) {
      return H.el("a", { className: "button", href: H.url("/g/" + encodeURIComponent(group.group_id)) }, "Open your group");
    }
    if (group.join_code) {
      return H.el(
        "a",
        { className: "button", href: H.url("/j/" + encodeURIComponent(group.join_code)), "aria-label": "Join " + group.name },
        "Join"
      );
    }
    return H.el("p", { className: "muted small" }, "Invite only: ask the group's facilitator for a link.");
  }

  function card(group) {
    var next = group.next_session
      ? H.el("p", null, H.el("strong", null, "Next session: "), H.when(group.next_session.start, zone))
      : H.el("p", { className: "muted" }, "No session scheduled yet.");
    return H.el(
      "li",
      { className: "card" },
      H.el("h2", null, group.name),
      H.el("p", null, H.el("span", { className: "tag" }, group.topic)),
      group.description ? H.el("p", { className: "prose" }, group.description) : null,
      next,
      H.el("div", { className: "actions" }, action(group))
    );
  }

  function load() {
    H.say(status, "loading", "Loading groups…");
    H.api("GET", "/v1/groups").then(
      function (data) {
        H.clear(list);
        if (!data.groups.length) {
          H.say(status, "", "There are no open groups to show right now. If someone gave you an invite link, open it to join.");
          return;
        }
        H.say(status, "", "");
        data.groups.forEach(function (group) {
          list.appendChild(card(group));
        });
      },
      function (error) {
        H.say(status, "error", H.errorText(error));
        var retry = H.el("button", { type: "button", className: "secondary" }, "Try again");
        retry.addEventListener("click", load);
        status.appendChild(H.el("div", { className: "actions" }, retry));
      }
    );
  }

  load();
})();
