/** The dashboard's styles: system fonts, one accent colour, cards in a grid. */
export const dashboardStyles = `
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #f5f6f8; }
  header { background: #0f3d66; color: #fff; padding: 12px 20px; display: flex; gap: 16px; align-items: baseline; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; }
  main { padding: 16px 20px; display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); }
  section { background: #fff; border-radius: 6px; padding: 12px 16px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  svg { width: 100%; height: auto; }
  .axis { stroke: #999; stroke-width: 1; }
  .grid { stroke: #eee; stroke-width: 1; }
  .label { font-size: 10px; fill: #555; }
  .legend span { margin-right: 12px; font-size: 12px; }
  table { border-collapse: collapse; width: 100%; font-size: 12px; }
  th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid #eee; }
  .bad { color: #b00020; font-weight: 600; }
  .empty { color: #777; font-style: italic; }
  #error { color: #b00020; }
  .warning { color: #ffd479; }
  #problems { flex-basis: 100%; margin: 0; padding-left: 20px; }
  #problems:empty { display: none; }
  tr.waived td { color: #666; }
  button { margin-top: 8px; }
  /* The customer page and the waiver dialog: one column on a phone, tables scrolling inside their card. */
  body > main[hidden] { display: none; }
  #customer-view { grid-template-columns: minmax(0, 1fr); }
  #customer-view .scroll { overflow-x: auto; position: relative; }
  #customer-chart svg { max-width: 760px; }
  #customer-view table { min-width: 600px; }
  #customer-view td, #waiver-dialog li { overflow-wrap: break-word; }
  #customer-view h2#customer-title { font-size: 20px; }
  #customer-entra-links, #customer-changes, #waiver-history { margin: 4px 0; padding-left: 20px; }
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
