/* The room's live updates, for any page that shows a room (the member's room; the console can
   use it with a group id). One WebSocket to the URL the app names (GET /v1/live), in every
   stage; when it drops it is reopened with backoff, and only while it is down does the page
   poll. `document.body.dataset.live` says which: "connecting", "open" or "polling". */
(function () {
  "use strict";
  var H = window.Hearth;

  var FIRST_RETRY_MS = 1000;
  var MAX_RETRY_MS = 30000;
  var KEEPALIVE_MS = 5 * 60 * 1000; // API Gateway closes a socket idle for 10 minutes

  /**
   * H.live({token, groupId?, pollMs, poll, catchUp, onFrame}) -> {stop()}
   *   poll():     one poll (a promise); called every pollMs while the socket is down
   *   catchUp():  called (a promise) each time the socket opens, for what came while it was down
   *   onFrame(f): each pushed frame, parsed ({type: "message", message} or {type: "message_hidden", message_id})
   */
  function live(options) {
    var stopped = false;
    var socket = null;
    var retryMs = FIRST_RETRY_MS;
    var retryTimer = null;
    var pollTimer = null;
    var polling = false;
    var keepalive = null;
    var url = null;

    function state(value) {
      document.body.dataset.live = value;
    }

    // --- the fallback: polling, only while there is no open socket ---------------------------

    function startPolling() {
      if (polling || stopped) return;
      polling = true;
      state("polling");
      pollOnce();
    }

    function pollOnce() {
      if (!polling || stopped) return;
      var next = function () {
        if (polling && !stopped) pollTimer = window.setTimeout(pollOnce, options.pollMs);
      };
      if (document.visibilityState === "hidden") return next();
      Promise.resolve().then(options.poll).then(next, next);
    }

    function stopPolling() {
      polling = false;
      window.clearTimeout(pollTimer);
    }

    // --- the socket -----------------------------------------------------------------------------

    function later(work) {
      window.clearTimeout(retryTimer);
      var delay = retryMs / 2 + Math.random() * (retryMs / 2); // jittered, so a room's pages don't reconnect in step
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
      retryTimer = window.setTimeout(work, delay);
    }

    function locate() {
      if (stopped) return;
      H.api("GET", "/v1/live").then(
        function (answer) {
          url = answer && answer.url;
          if (url) open();
          else startPolling(); // a stage without a WebSocket API
        },
        function () {
          startPolling();
          later(locate);
        }
      );
    }

    function open() {
      if (stopped || socket) return;
      var query = "token=" + encodeURIComponent(options.token);
      if (options.groupId) query += "&group_id=" + encodeURIComponent(options.groupId);
      if (!polling) state("connecting");
      try {
        socket = new WebSocket(url + "?" + query);
      } catch (ignored) {
        socket = null;
        startPolling();
        later(open);
        return;
      }
      var mine = socket;
      mine.addEventListener("open", function () {
        if (stopped) return mine.close();
        retryMs = FIRST_RETRY_MS;
        stopPolling();
        keepalive = window.setInterval(function () {
          if (mine.readyState === WebSocket.OPEN) mine.send('{"type":"ping"}');
        }, KEEPALIVE_MS);
        var opened = function () {
          if (!stopped && socket === mine && mine.readyState === WebSocket.OPEN) state("open");
        };
        Promise.resolve().then(options.catchUp).then(opened, opened);
      });
      mine.addEventListener("message", function (event) {
        var frame = null;
        try {
          frame = JSON.parse(event.data);
        } catch (ignored) {
          return;
        }
        if (!stopped && frame && typeof frame.type === "string") options.onFrame(frame);
      });
      mine.addEventListener("close", function () {
        window.clearInterval(keepalive);
        if (socket === mine) socket = null;
        if (stopped) return;
        startPolling(); // a refused or dropped socket: the poll also finds out if the member was removed
        later(open);
      });
    }

    function reconnectNow() {
      if (stopped || socket || !url) return;
      retryMs = FIRST_RETRY_MS;
      window.clearTimeout(retryTimer);
      open();
    }
    window.addEventListener("online", reconnectNow);

    locate();

    return {
      stop: function () {
        stopped = true;
        stopPolling();
        window.clearTimeout(retryTimer);
        window.removeEventListener("online", reconnectNow);
        if (socket) socket.close();
        socket = null;
        delete document.body.dataset.live;
      },
    };
  }

  H.live = live;
})();
