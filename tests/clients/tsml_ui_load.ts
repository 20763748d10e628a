// Loads a Meeting Guide feed as a tsml-ui meeting finder does (src/hooks/data.tsx + settings.tsx):
// the feed must be a non-empty array, the page's settings are deep-merged over tsml-ui's defaults,
// and loadMeetingData builds the meetings and indexes the page shows.
//
// stdin: {"feed": [...], "settings": {...}, "timezone": "America/New_York" | null}
// stdout: {"error": null | "Loading error: ...", "meetings": {slug: {...}}, "weekdays": [...], "warnings": [...]}
import merge from 'deepmerge';

import { loadMeetingData } from './tsml_ui/src/helpers/load-meeting-data';
import { defaults } from './tsml_ui/src/hooks/settings';

// the browser globals the loader reads
const browser = globalThis as any;
browser.window = { location: { protocol: 'https:', hostname: 'finder.example' } };
Object.defineProperty(globalThis, 'navigator', { value: { language: 'en-US' }, configurable: true });

const warnings: string[] = [];
console.warn = (message: string) => warnings.push(String(message));

let text = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', chunk => (text += chunk));
process.stdin.on('end', () => {
  const { feed, settings: userSettings, timezone } = JSON.parse(text);
  const settings: any = merge(defaults, userSettings ?? {});
  const strings: any = settings.strings[settings.language];
  const capabilities: any = {
    coordinates: false, distance: false, geolocation: false, inactive: false, location: false,
    region: false, sharing: false, time: false, type: false, weekday: false,
  };
  let result: any = { error: null, meetings: {}, weekdays: [], warnings };
  try {
    if (!Array.isArray(feed) || !feed.length) {
      throw new Error('data is not in the correct format');
    }
    const loaded = loadMeetingData(feed, capabilities, settings, strings, timezone ?? undefined);
    if (!timezone && !loaded.slugs.length) {
      throw new Error('time zone is not set');
    }
    const meetings: any = {};
    for (const [slug, meeting] of Object.entries<any>(loaded.meetings)) {
      meetings[slug] = {
        ...meeting,
        start: meeting.start?.toISO(),
        end: meeting.end?.toISO(),
        weekday: meeting.start?.weekday % 7,
      };
    }
    result = { ...result, meetings, weekdays: loaded.indexes.weekday };
  } catch (error) {
    result.error = `Loading error: ${error}`;
  }
  process.stdout.write(JSON.stringify(result));
});
