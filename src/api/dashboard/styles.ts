/**
 * The dashboard's styles: system fonts, one accent colour, cards in a grid that shrink to a phone's
 * width (a table scrolls inside its card, never the page), a visible focus on every control, and
 * text colours of at least 4.5:1 against their background (WCAG 2 AA).
 */
export const dashboardStyles = `
  * { box-sizing: border-box; }
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #f5f6f8; }
  header { background: #0f3d66; color: #fff; padding: 12px 16px; display: flex; gap: 6px 16px; align-items: baseline; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; }
  .status { font-weight: 600; }
  .status.failing { color: #ffd479; }
  main { padding: 12px; display: grid; gap: 12px; grid-template-columns: repeat(auto-fit, minmax(min(420px, 100%), 1fr)); }
  section { background: #fff; border-radius: 6px; padding: 12px; box-shadow: 0 1px 2px rgba(0,0,0,.08); min-width: 0; }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  h3 { font-size: 14px; margin: 12px 0 6px; }
  svg { width: 100%; height: auto; }
  .axis { stroke: #999; stroke-width: 1; }
  .grid { stroke: #eee; stroke-width: 1; }
  .label { font-size: 12px; fill: #525252; color: #525252; font-weight: normal; }
  svg .label { font-size: 10px; }
  .legend span { margin-right: 12px; font-size: 12px; }
  .scroll { overflow-x: auto; }
  table { border-collapse: collapse; width: 100%; font-size: 12px; }
  th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid #eee; vertical-align: top; }
  #findings td:nth-child(3), #findings td:nth-child(4) { min-width: 16em; }
  .bad { color: #b00020; font-weight: 600; }
  .empty { color: #525252; font-style: italic; }
  #error { color: #ffd7d9; }
  .warning { color: #ffd479; }
  #problems { flex-basis: 100%; margin: 0; padding-left: 20px; }
  #problems:empty { display: none; }
  tr.waived td { color: #595959; }
  a { color: #0043ce; }
  button { font: inherit; font-size: 13px; margin: 0; padding: 4px 10px; min-height: 32px; color: #1b1b1b; background: #fff; border: 1px solid #6f6f6f; border-radius: 16px; cursor: pointer; }
  button:disabled { color: #6f6f6f; cursor: default; }
  button[aria-pressed="true"] { color: #fff; background: #0f3d66; border-color: #0f3d66; }
  th button { font-weight: 600; font-size: inherit; padding: 2px 4px; min-height: 0; border: 0; border-radius: 2px; text-decoration: underline; background: none; }
  #customers-more { margin-top: 8px; }
  :focus-visible { outline: 3px solid #0f62fe; outline-offset: 2px; }
  header :focus-visible { outline-color: #fff; }
  .chips { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin: 6px 0; }
  .chip-label { font-weight: 600; min-width: 5em; }
  .badge { display: inline-block; white-space: nowrap; padding: 0 6px; border-radius: 8px; font-size: 12px; font-weight: 600; }
  .badge.critical { color: #fff; background: #b00020; }
  .badge.warning { color: #1b1b1b; background: #ffd479; }
  .badge.resolved { color: #1b1b1b; background: #e0e0e0; font-weight: normal; }
  .groups { list-style: none; margin: 0; padding: 0; }
  .groups > li { border-bottom: 1px solid #e0e0e0; padding: 6px 0; }
  .group-heading { display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: center; }
  .group-findings { margin: 6px 0 0; padding-left: 18px; }
  .group-findings li { margin: 4px 0; }
  tr.highlight td { background: #fff1b8; }
  tr.highlight { outline: 3px solid #8e6a00; }
  .pager { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
  /* The customer page and the waiver dialog: one column on a phone, tables scrolling inside their card. */
  body > main[hidden] { display: none; }
  #customer-view { grid-template-columns: minmax(0, 1fr); }
  #customer-view .scroll { overflow-x: auto; position: relative; }
  #customer-chart svg { max-width: 760px; }
  #customer-view table { min-width: 600px; }
  #customer-view td, #waiver-dialog li { overflow-wrap: break-word; }
  #customer-view h2#customer-title { font-size: 20px; }
  #customer-entra-links, #customer-changes, #waiver-history, #customer-admins-policies { margin: 4px 0; padding-left: 20px; }
  #customer-admins-note, #customer-admins-step, #customer-admins-policies li { overflow-wrap: anywhere; }
  #customer-admins td:nth-child(8) { min-width: 14em; }
  .admin-finding { display: block; margin: 2px 0; }
  #customer-changes li, #waiver-history li { margin: 2px 0; }
  #customer-changes time, #waiver-history time { font-variant-numeric: tabular-nums; color: #444; }
  .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  button.waive { margin: 0 0 0 6px; font-size: 12px; white-space: nowrap; }
  #waiver-dialog { width: min(900px, calc(100vw - 24px)); max-width: none; box-sizing: border-box; padding: 16px; border: 1px solid #999; border-radius: 6px; }
  #waiver-dialog::backdrop { background: rgba(0, 0, 0, .4); }
  .waiver-layout { display: grid; gap: 16px; grid-template-columns: minmax(0, 1fr); }
  @media (min-width: 720px) { .waiver-layout { grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); } }
  #waiver-form label { display: block; font-weight: 600; margin-bottom: 2px; }
  #waiver-form input:not([type=date]), #waiver-form select, #waiver-form textarea { width: 100%; box-sizing: border-box; font: inherit; }
  #waiver-form [aria-invalid] { outline: 2px solid #b00020; }
  #waiver-problem { color: #b00020; }
  #waiver-problem:empty { display: none; }
  .suggestions button { margin: 0 6px 6px 0; }
`;
