// ECharts options for each kind of chart a panel names (panel.chart), built from the panel's rows.
// Each builder returns {option, rowAt(params)}: the option to draw, and the row a click on a bar, slice, point
// or country stands for (for the drill-down), or null.
// Under the Content-Security-Policy: tooltips are drawn on the canvas (renderMode "richText"), never as HTML.

import { gettext, interpolate, weekdayName } from "./locale.js";
import { codeOf, dimensionsOf, labelOf, numberOf } from "./panels.js";

const PALETTE = [
  "#0a5fa3", "#d1495b", "#2e8b57", "#edae49", "#6a4c93", "#00798c", "#8d6a9f", "#c46210", "#4f6d7a", "#9e2a2b",
];

// "France: 1 234" in a tooltip, as the reader's language writes a name and its figure.
function figureText(name, figure) {
  return interpolate(gettext("%(name)s: %(figure)s"), { name, figure });
}

function baseOption(context) {
  return {
    color: PALETTE,
    animationDuration: 300,
    aria: { enabled: true, decal: { show: false } },
    textStyle: { fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif" },
    tooltip: { renderMode: "richText", confine: true, valueFormatter: context.format },
  };
}

// What a dimension's value is called on a chart: a weekday (1 = Monday) by its name in the reader's language.
function categoryLabel(row, column) {
  return column.key === "weekday" ? weekdayName(row[column.key]) : labelOf(row, column);
}

// Distinct values of a dimension, in the order the rows give them, with their labels.
function categories(rows, column) {
  const seen = new Map();
  for (const row of rows) {
    const key = String(row[column.key] ?? "");
    if (!seen.has(key)) {
      seen.set(key, categoryLabel(row, column));
    }
  }
  return seen;
}

// Categories in their natural order: numbers (weekdays, hours) as numbers, the rest (months, names) as text.
function sorted(map) {
  const keys = [...map.keys()];
  const numeric = keys.every((key) => key !== "" && !Number.isNaN(Number(key)));
  keys.sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => a.localeCompare(b));
  return new Map(keys.map((key) => [key, map.get(key)]));
}

function axisChart(panel, context, { stacked = false, horizontal = false, line = false } = {}) {
  const [first, second] = dimensionsOf(panel);
  const measures = context.group.columns;
  const rows = panel.rows;
  const axis = first ? categories(rows, first) : new Map([["", ""]]);
  const keys = [...axis.keys()];
  const series = [];
  // rowIndex[seriesIndex][dataIndex]: the row behind each bar or point.
  const rowIndex = [];
  if (second) {
    // One series per value of the second dimension (a category per month, a type within a category), and per
    // figure of the unit (this year's, the previous year's: dashed).
    measures.forEach((measure, measureIndex) => {
      for (const [seriesKey, seriesLabel] of categories(rows, second)) {
        const data = keys.map(() => null);
        const behind = keys.map(() => null);
        rows.forEach((row) => {
          if (String(row[second.key] ?? "") === seriesKey) {
            const at = keys.indexOf(String(row[first.key] ?? ""));
            data[at] = numberOf(row, measure);
            behind[at] = row;
          }
        });
        const name = measureIndex
          ? interpolate(gettext("%(series)s (%(figure)s)"), { series: seriesLabel, figure: measure.label })
          : seriesLabel;
        series.push({ name, data, lineStyle: measureIndex ? { type: "dashed" } : undefined });
        rowIndex.push(behind);
      }
    });
  } else {
    // One series per figure of the unit (e.g. this period and the same months of the previous year).
    for (const measure of measures) {
      series.push({ name: measure.label, data: rows.map((row) => numberOf(row, measure)) });
      rowIndex.push(rows);
    }
  }
  const categoryAxis = {
    type: "category",
    data: [...axis.values()],
    axisLabel: { hideOverlap: true, width: horizontal ? 120 : 90, overflow: "truncate" },
  };
  // The unit is named under a horizontal value axis (at its end it would be cut off at 360 px).
  const valueAxis = {
    type: "value",
    name: context.group.label,
    nameLocation: horizontal ? "middle" : "end",
    nameGap: horizontal ? 28 : 12,
    axisLabel: { formatter: context.format },
  };
  const option = {
    ...baseOption(context),
    legend: { type: "scroll", top: 0, show: series.length > 1 },
    grid: { left: 8, right: 24, top: series.length > 1 ? 40 : 24, bottom: horizontal ? 32 : 8, containLabel: true },
    tooltip: { ...baseOption(context).tooltip, trigger: "axis" },
    xAxis: horizontal ? valueAxis : categoryAxis,
    yAxis: horizontal ? { ...categoryAxis, inverse: true } : valueAxis,
    series: series.map((one) => ({
      ...one,
      type: line ? "line" : "bar",
      stack: stacked ? "total" : undefined,
      connectNulls: false,
      showSymbol: line ? keys.length < 40 : undefined,
      emphasis: { focus: "series" },
    })),
  };
  return { option, rowAt: (params) => rowIndex[params.seriesIndex]?.[params.dataIndex] ?? null };
}

function pieChart(panel, context) {
  const [first] = dimensionsOf(panel);
  const measure = context.group.columns[0];
  const rows = panel.rows.filter((row) => numberOf(row, measure) !== null);
  const option = {
    ...baseOption(context),
    legend: { type: "scroll", bottom: 0 },
    tooltip: { ...baseOption(context).tooltip, trigger: "item" },
    series: [
      {
        type: "pie",
        radius: ["35%", "65%"],
        center: ["50%", "45%"],
        name: measure.label,
        label: { show: rows.length <= 8, formatter: "{b}" },
        data: rows.map((row) => ({ name: first ? labelOf(row, first) : measure.label, value: numberOf(row, measure) })),
      },
    ],
  };
  return { option, rowAt: (params) => rows[params.dataIndex] ?? null };
}

function heatmapChart(panel, context) {
  const [yDimension, xDimension] = dimensionsOf(panel);
  const measure = context.group.columns[0];
  const ys = sorted(categories(panel.rows, yDimension));
  const xs = sorted(categories(panel.rows, xDimension));
  const yKeys = [...ys.keys()];
  const xKeys = [...xs.keys()];
  const cells = [];
  const behind = [];
  let highest = 0;
  for (const row of panel.rows) {
    const value = numberOf(row, measure);
    if (value === null) {
      continue;
    }
    highest = Math.max(highest, value);
    cells.push([xKeys.indexOf(String(row[xDimension.key] ?? "")), yKeys.indexOf(String(row[yDimension.key] ?? "")), value]);
    behind.push(row);
  }
  const option = {
    ...baseOption(context),
    tooltip: { ...baseOption(context).tooltip, trigger: "item" },
    grid: { left: 8, right: 8, top: 8, bottom: 56, containLabel: true },
    xAxis: { type: "category", data: [...xs.values()], splitArea: { show: true } },
    yAxis: { type: "category", data: [...ys.values()], splitArea: { show: true } },
    visualMap: {
      min: 0,
      max: Math.max(highest, 1),
      calculable: true,
      orient: "horizontal",
      left: "center",
      bottom: 0,
      inRange: { color: ["#eef5fb", "#0b3d63"] },
      formatter: context.format,
    },
    series: [{ type: "heatmap", name: measure.label, data: cells, emphasis: { itemStyle: { borderColor: "#1b1f24" } } }],
  };
  return { option, rowAt: (params) => behind[params.dataIndex] ?? null };
}

// A world map coloured by the figure of each country (the first dimension holds ISO 3166 alpha-2 codes).
function mapChart(panel, context) {
  const [country] = dimensionsOf(panel);
  const measure = context.group.columns[0];
  const byFeature = new Map();
  let highest = 0;
  for (const row of panel.rows) {
    const feature = context.world.featureOf(codeOf(row, country));
    const value = numberOf(row, measure);
    if (feature && value !== null) {
      byFeature.set(feature, row);
      highest = Math.max(highest, value);
    }
  }
  const data = [...byFeature].map(([feature, row]) => ({ name: feature, value: numberOf(row, measure), label: labelOf(row, country) }));
  const option = {
    ...baseOption(context),
    tooltip: {
      ...baseOption(context).tooltip,
      trigger: "item",
      formatter: (params) =>
        params.data ? figureText(params.data.label, context.format(params.data.value)) : params.name,
    },
    visualMap: {
      min: 0,
      max: Math.max(highest, 1),
      calculable: true,
      orient: "horizontal",
      left: "center",
      bottom: 0,
      inRange: { color: ["#d6e6f4", "#0b3d63"] },
      formatter: context.format,
    },
    series: [
      {
        type: "map",
        map: context.world.name,
        nameProperty: "iso",
        roam: true,
        name: measure.label,
        top: 8,
        bottom: 48,
        label: { show: false },
        emphasis: { label: { show: false }, itemStyle: { areaColor: "#edae49" } },
        itemStyle: { areaColor: "#eef0f3", borderColor: "#9aa5b1", borderWidth: 0.5 },
        data,
      },
    ],
  };
  return { option, rowAt: (params) => (params.name && byFeature.get(params.name)) || null };
}

// Departure -> destination flows drawn on the map (two dimensions: from and to, ISO alpha-2 codes).
function flowsChart(panel, context) {
  const [from, to] = dimensionsOf(panel);
  const measure = context.group.columns[0];
  const lines = [];
  const behind = [];
  let highest = 0;
  for (const row of panel.rows) {
    const start = context.world.pointOf(codeOf(row, from));
    const end = context.world.pointOf(codeOf(row, to));
    const value = numberOf(row, measure);
    if (!start || !end || value === null) {
      continue;
    }
    highest = Math.max(highest, value);
    const name = interpolate(gettext("%(from)s → %(to)s"), { from: labelOf(row, from), to: labelOf(row, to) });
    lines.push({ coords: [start, end], value, name });
    behind.push(row);
  }
  const width = (value) => 1 + (5 * value) / Math.max(highest, 1);
  const option = {
    ...baseOption(context),
    tooltip: {
      ...baseOption(context).tooltip,
      trigger: "item",
      formatter: (params) =>
        params.data && params.data.coords ? figureText(params.data.name, context.format(params.data.value)) : params.name,
    },
    geo: {
      map: context.world.name,
      nameProperty: "iso",
      roam: true,
      top: 8,
      bottom: 8,
      silent: true,
      itemStyle: { areaColor: "#eef0f3", borderColor: "#9aa5b1", borderWidth: 0.5 },
    },
    series: [
      {
        type: "lines",
        coordinateSystem: "geo",
        name: measure.label,
        symbol: ["none", "arrow"],
        symbolSize: 8,
        lineStyle: { color: "#d1495b", opacity: 0.7, curveness: 0.2 },
        data: lines.map((line) => ({ ...line, lineStyle: { width: width(line.value) } })),
      },
    ],
  };
  return { option, rowAt: (params) => (params.seriesType === "lines" ? behind[params.dataIndex] ?? null : null) };
}

const BUILDERS = {
  line: (panel, context) => axisChart(panel, context, { line: true }),
  bar: (panel, context) => axisChart(panel, context, { horizontal: true }),
  stacked: (panel, context) => axisChart(panel, context, { stacked: true, horizontal: true }),
  pie: pieChart,
  heatmap: heatmapChart,
  map: mapChart,
  flows: flowsChart,
};

// Whether a panel of this kind is drawn (key figures and tables are shown as they are).
export function isDrawn(kind) {
  return Object.hasOwn(BUILDERS, kind);
}

// Whether drawing this kind needs the world map.
export function needsWorld(kind) {
  return kind === "map" || kind === "flows";
}

export function chartOf(panel, context) {
  return BUILDERS[panel.chart](panel, context);
}
