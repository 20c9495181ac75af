/**
 * SVG line charts: every point a circle carrying its value in `data-value`, so a test reads
 * what is drawn.
 */
export const chartsScript = String.raw`
  // Each at least 4.5:1 on white: the legend writes its text in them (WCAG 2 AA, 1.4.3).
  var colours = ['#0f62fe', '#da1e28', '#198038', '#8a3ffc'];

  /** An axis end in the reader's time zone (an SVG label holds no <time>: the points' titles have the exact times). */
  function axisTime(time) {
    return new Date(time).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });
  }

  /** series: [{ name, points: [{ at: ISO time, value: number|null }] }] */
  function lineChart(container, series) {
    var width = 520, height = 220, left = 44, right = 12, top = 12, bottom = 30;
    var points = [].concat.apply([], series.map(function (one) { return one.points; })).filter(function (point) { return point.value !== null; });
    container.textContent = '';
    if (points.length === 0) { container.appendChild(element('p', { class: 'empty' }, 'No complete snapshot yet.')); return; }
    var times = points.map(function (point) { return Date.parse(point.at); });
    var values = points.map(function (point) { return point.value; });
    var minTime = Math.min.apply(null, times), maxTime = Math.max.apply(null, times);
    var minValue = Math.min(0, Math.min.apply(null, values)), maxValue = Math.max.apply(null, values);
    if (maxValue === minValue) maxValue = minValue + 1;
    var x = function (time) { return maxTime === minTime ? (left + width - right) / 2 : left + ((time - minTime) / (maxTime - minTime)) * (width - left - right); };
    var y = function (value) { return height - bottom - ((value - minValue) / (maxValue - minValue)) * (height - top - bottom); };
    var svg = element('svg:svg', { viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': series.map(function (one) { return one.name; }).join(', ') });
    for (var tick = 0; tick <= 4; tick += 1) {
      var value = minValue + ((maxValue - minValue) * tick) / 4;
      svg.appendChild(element('svg:line', { class: 'grid', x1: left, x2: width - right, y1: y(value), y2: y(value) }));
      svg.appendChild(element('svg:text', { class: 'label', x: left - 4, y: y(value) + 3, 'text-anchor': 'end' }, String(Math.round(value * 10) / 10)));
    }
    svg.appendChild(element('svg:line', { class: 'axis', x1: left, x2: width - right, y1: height - bottom, y2: height - bottom }));
    svg.appendChild(element('svg:text', { class: 'label', x: left, y: height - 10 }, axisTime(minTime)));
    svg.appendChild(element('svg:text', { class: 'label', x: width - right, y: height - 10, 'text-anchor': 'end' }, axisTime(maxTime)));
    var legend = element('div', { class: 'legend' });
    series.forEach(function (one, index) {
      var colour = colours[index % colours.length];
      var known = one.points.filter(function (point) { return point.value !== null; });
      svg.appendChild(element('svg:polyline', { fill: 'none', stroke: colour, 'stroke-width': 2, 'data-series': one.name, points: known.map(function (point) { return x(Date.parse(point.at)) + ',' + y(point.value); }).join(' ') }));
      known.forEach(function (point) {
        var dot = element('svg:circle', { class: 'point', cx: x(Date.parse(point.at)), cy: y(point.value), r: 3, fill: colour, 'data-series': one.name, 'data-at': point.at, 'data-value': point.value });
        dot.appendChild(element('svg:title', {}, one.name + ' ' + point.value + ' at ' + exactTime(point.at)));
        svg.appendChild(dot);
      });
      var entry = element('span', {}, '\u25CF ' + one.name);
      entry.style.color = colour;
      legend.appendChild(entry);
    });
    container.appendChild(svg);
    container.appendChild(legend);
  }

  function byRun(items) {
    var runs = {};
    items.forEach(function (item) { (runs[item.runId] = runs[item.runId] || { at: item.collectedAt, items: [] }).items.push(item); });
    return Object.keys(runs).map(function (runId) { return runs[runId]; }).sort(function (a, b) { return Date.parse(a.at) - Date.parse(b.at); });
  }
`;
