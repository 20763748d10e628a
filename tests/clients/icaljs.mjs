// Reads calendars the way Mozilla ical.js (Thunderbird, Nextcloud) does, using only the
// VTIMEZONEs in the file (ical.js has no zone database of its own).
//
// stdin: {"mode": "expand", "ics": "...", "from": epoch_s, "to": epoch_s}
//   -> [{"uid", "start", "end"}] (epoch seconds) of every occurrence starting in [from, to)
// stdin: {"mode": "zones", "ics": "...", "checks": {tzid: [[y, mo, d, h, mi, s, epoch_s]]}}
//   -> {"checked": n, "wrong": [...]}: the local times whose instant, read with the file's
//      VTIMEZONE, is not the expected one
import ICAL from 'ical.js';

function read() {
  return new Promise(resolve => {
    let text = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', chunk => (text += chunk));
    process.stdin.on('end', () => resolve(JSON.parse(text)));
  });
}

function load(ics) {
  const calendar = new ICAL.Component(ICAL.parse(ics));
  for (const vtimezone of calendar.getAllSubcomponents('vtimezone')) {
    ICAL.TimezoneService.register(new ICAL.Timezone(vtimezone));
  }
  return calendar;
}

const seconds = time => Math.round(time.toJSDate().getTime() / 1000);

function expand({ ics, from, to }) {
  const calendar = load(ics);
  const byUid = new Map();
  for (const component of calendar.getAllSubcomponents('vevent')) {
    const uid = component.getFirstPropertyValue('uid');
    const entry = byUid.get(uid) ?? { master: null, exceptions: [] };
    if (component.hasProperty('recurrence-id')) entry.exceptions.push(component);
    else entry.master = component;
    byUid.set(uid, entry);
  }
  const found = [];
  for (const [uid, { master, exceptions }] of byUid) {
    // Related by UID, as calendar apps do: left to itself, `new ICAL.Event(component)` relates
    // every RECURRENCE-ID in the file, of any UID, keyed by its local time alone.
    const event = new ICAL.Event(master, {
      strictExceptions: true,
      exceptions: exceptions.map(exception => new ICAL.Event(exception)),
    });
    const iterator = event.iterator();
    for (let next = iterator.next(); next; next = iterator.next()) {
      const details = event.getOccurrenceDetails(next);
      // overrides may move a session by up to a few days either way
      if (seconds(next) > to + 7 * 86400) break;
      const start = seconds(details.startDate);
      if (start >= from && start < to) {
        found.push({ uid, start, end: seconds(details.endDate) });
      }
    }
  }
  return found;
}

function zones({ ics, checks }) {
  load(ics);
  const wrong = [];
  let checked = 0;
  for (const [tzid, locals] of Object.entries(checks)) {
    const zone = ICAL.TimezoneService.get(tzid);
    if (!zone) {
      wrong.push({ tzid, problem: 'no VTIMEZONE' });
      continue;
    }
    for (const [year, month, day, hour, minute, second, epoch] of locals) {
      const time = ICAL.Time.fromData({ year, month, day, hour, minute, second }, zone);
      const read = time.toUnixTime();
      checked += 1;
      if (read !== epoch) wrong.push({ tzid, local: [year, month, day, hour, minute, second], expected: epoch, ical: read });
    }
  }
  return { checked, wrong };
}

const input = await read();
const output = input.mode === 'zones' ? zones(input) : expand(input);
process.stdout.write(JSON.stringify(output));
