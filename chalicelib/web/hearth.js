/* Shared helpers for Hearth's pages: calling the API, building DOM safely, storing tokens,
   showing times in a zone. User data only ever reaches the page as text (textContent). */
(function () {
  "use strict";

  var STORE_PREFIX = "hearth.";

  /* Where the app lives: "" at a domain's root, "/api" under the API's own stage URL (or a
     custom domain's base path). Each page loads this script by a relative URL from
     <base>/static/, so the script's own address, resolved against the page's, says it. Every
     page link and API call is built with url(); nothing uses a root path. */
  var BASE = (function () {
    var script = document.currentScript;
    var path = script && script.src ? new URL(script.src, window.location.href).pathname : "/static/hearth.js";
    return path.slice(0, path.lastIndexOf("/static/"));
  })();

  /** An absolute path inside the app: url("/v1/me") is "/api/v1/me" under the stage path. */
  function url(path) {
    return BASE + path;
  }

  /** The page's own id from its path, e.g. the code of <base>/j/{code}. */
  function pageParam() {
    var parts = window.location.pathname.split("/");
    return decodeURIComponent(parts[parts.length - 1] || "");
  }

  function ApiError(status, code, message, fields, resources) {
    this.status = status;
    this.code = code;
    this.message = message;
    this.fields = fields || {};
    this.resources = resources || null; // crisis help travels even on a refusal
  }
  ApiError.prototype = Object.create(Error.prototype);
  ApiError.prototype.constructor = ApiError;

  /** Calls the Hearth API on this origin; resolves with the JSON body (null for 204), rejects with ApiError. */
  function api(method, path, options) {
    options = options || {};
    var headers = { Accept: "application/json" };
    var init = { method: method, headers: headers, credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer" };
    if (options.token) headers.Authorization = "Bearer " + options.token;
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }
    return fetch(url(path), init).then(
      function (response) {
        if (response.status === 204) return null;
        return response.text().then(function (raw) {
          var data = null;
          try {
            data = raw ? JSON.parse(raw) : null;
          } catch (ignored) {
            data = null;
          }
          if (response.ok) return data;
          var retry = response.headers.get("Retry-After");
          var message = (data && data.message) || "Something went wrong. Please try again.";
          if (response.status === 429 && retry) message += " (You can try again in " + retry + " seconds.)";
          throw new ApiError(
            response.status, (data && data.code) || "error", message, data && data.fields, data && data.resources
          );
        });
      },
      function () {
        throw new ApiError(0, "network", "We couldn't reach Hearth. Check your connection and try again.");
      }
    );
  }

  /** el("p", {className: "x"}, "text", child) — strings become text nodes, never HTML. */
  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value === undefined || value === null || value === false) return;
        if (key === "className") node.className = value;
        else if (key === "text") node.textContent = value;
        else if (key === "dataset") Object.keys(value).forEach(function (k) { node.dataset[k] = value[k]; });
        else if (key.slice(0, 2) === "on" && typeof value === "function") node.addEventListener(key.slice(2), value);
        else if (value === true) node.setAttribute(key, "");
        else node.setAttribute(key, String(value));
      });
    }
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) {
      child.forEach(function (c) { append(node, c); });
      return;
    }
    node.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function $(id) {
    return document.getElementById(id);
  }

  /** Shows a status line in a live region: kind is "loading", "ok", "error" or "" (info). */
  function say(region, kind, text) {
    if (!region) return;
    region.className = "status" + (kind ? " " + kind : "");
    region.textContent = text || "";
  }

  /** Runs `work` (returns a promise) with `button` busy; shows errors in `region`. */
  function busy(button, region, work, loadingText) {
    if (button) {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
    }
    if (region && loadingText) say(region, "loading", loadingText);
    return Promise.resolve()
      .then(work)
      .catch(function (error) {
        if (region) say(region, "error", errorText(error));
        throw error;
      })
      .finally(function () {
        if (button) {
          button.disabled = false;
          button.removeAttribute("aria-busy");
        }
      });
  }

  function errorText(error) {
    if (error instanceof ApiError) {
      var names = Object.keys(error.fields || {});
      if (names.length) return error.message + " " + names.map(function (n) { return error.fields[n]; }).join(" ");
      return error.message;
    }
    return "Something went wrong. Please try again.";
  }

  /** Marks an input invalid with a message tied to it by aria-describedby (or clears it). */
  function fieldError(input, message) {
    var id = input.id + "-error";
    var existing = document.getElementById(id);
    if (!message) {
      input.removeAttribute("aria-invalid");
      if (existing) existing.remove();
      return;
    }
    input.setAttribute("aria-invalid", "true");
    if (!existing) {
      existing = el("p", { id: id, className: "field-error" });
      input.insertAdjacentElement("afterend", existing);
      var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      if (described.indexOf(id) < 0) described.push(id);
      input.setAttribute("aria-describedby", described.join(" "));
    }
    existing.textContent = message;
  }

  // --- storage: this origin's localStorage only ---------------------------------------------

  function load(key) {
    try {
      var raw = window.localStorage.getItem(STORE_PREFIX + key);
      return raw ? JSON.parse(raw) : null;
    } catch (ignored) {
      return null;
    }
  }

  function save(key, value) {
    try {
      if (value === null || value === undefined) window.localStorage.removeItem(STORE_PREFIX + key);
      else window.localStorage.setItem(STORE_PREFIX + key, JSON.stringify(value));
      return true;
    } catch (ignored) {
      return false;
    }
  }

  var membership = {
    get: function (groupId) {
      var found = load("member." + groupId);
      return found && typeof found.token === "string" ? found : null;
    },
    set: function (groupId, value) {
      return save("member." + groupId, value);
    },
    forget: function (groupId) {
      save("member." + groupId, null);
    },
  };

  // --- time ----------------------------------------------------------------------------------

  function deviceZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
    } catch (ignored) {
      return "UTC";
    }
  }

  function zones() {
    try {
      if (Intl.supportedValuesOf) {
        var list = Intl.supportedValuesOf("timeZone");
        if (list.indexOf("UTC") < 0) list = ["UTC"].concat(list);
        return list;
      }
    } catch (ignored) {
      /* older browsers: a short list */
    }
    return ["UTC", "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "Europe/London", "Europe/Paris", "Asia/Tokyo", "Australia/Sydney"];
  }

  /** A <select> of IANA zones with `selected` chosen (added if the browser does not list it). */
  function zoneSelect(attrs, selected) {
    var select = el("select", attrs);
    var list = zones();
    if (selected && list.indexOf(selected) < 0) list = [selected].concat(list);
    list.forEach(function (zone) {
      var option = el("option", { value: zone }, zone.replace(/_/g, " "));
      if (zone === selected) option.selected = true;
      select.appendChild(option);
    });
    return select;
  }

  function format(iso, zone, options) {
    var date = new Date(iso);
    var base = { timeZone: zone || undefined };
    Object.keys(options).forEach(function (k) { base[k] = options[k]; });
    try {
      return new Intl.DateTimeFormat(undefined, base).format(date);
    } catch (ignored) {
      delete base.timeZone;
      return new Intl.DateTimeFormat(undefined, base).format(date);
    }
  }

  /** "Tue, Dec 1, 7:00 PM EST" in `zone`. */
  function when(iso, zone) {
    return format(iso, zone, { weekday: "short", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZoneName: "short" });
  }

  function dayTime(iso, zone) {
    return format(iso, zone, { weekday: "short", month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
  }

  function clock(iso, zone) {
    return format(iso, zone, { hour: "numeric", minute: "2-digit" });
  }

  /** A chat timestamp: the time alone today, else the date and time ("Nov 27, 1:35 PM"). */
  function stamp(iso, zone) {
    var day = { year: "numeric", month: "2-digit", day: "2-digit" };
    if (format(iso, zone, day) === format(new Date().toISOString(), zone, day)) return clock(iso, zone);
    return format(iso, zone, { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
  }

  function isoDay(date) {
    return date.toISOString().slice(0, 10);
  }

  /** Copies text; falls back to selecting the input for manual copy. */
  function copyText(text, input, region) {
    function done() {
      say(region, "ok", "Copied.");
    }
    function manual() {
      if (input) {
        input.focus();
        input.select();
      }
      try {
        if (document.execCommand && document.execCommand("copy")) return done();
      } catch (ignored) {
        /* fall through */
      }
      say(region, "", "Press Ctrl+C (or long-press and copy) to copy it.");
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, manual);
    } else {
      manual();
    }
  }

  /** A read-only input with a copy button; `label` names both for screen readers. */
  function copyField(id, label, value, region) {
    var input = el("input", { type: "text", id: id, readonly: true, value: value, "aria-label": label });
    input.value = value;
    var button = el("button", { type: "button", className: "secondary", "aria-label": "Copy " + label.toLowerCase() }, "Copy");
    button.addEventListener("click", function () {
      copyText(input.value, input, region);
    });
    return el("div", { className: "copy-row" }, input, button);
  }

  window.Hearth = {
    ApiError: ApiError,
    api: api,
    url: url,
    pageParam: pageParam,
    el: el,
    clear: clear,
    $: $,
    say: say,
    busy: busy,
    errorText: errorText,
    fieldError: fieldError,
    load: load,
    save: save,
    membership: membership,
    deviceZone: deviceZone,
    zoneSelect: zoneSelect,
    when: when,
    dayTime: dayTime,
    clock: clock,
    stamp: stamp,
    isoDay: isoDay,
    copyText: copyText,
    copyField: copyField,
  };
})();
