// The dashboard page: draws each panel's chart from its data (embedded as JSON beside its table), and wires the
// panel's tools: Table (the same numbers as an accessible table), the unit shown when a panel has figures of
// several units, PNG (the chart as an image), and the drill-down (a click on a bar, slice, point or country opens
// the report list filtered the same way). Without JavaScript, or if a chart cannot be drawn, the tables stay.
// ECharts and topojson-client are loaded before this module by <script src> (globals); nothing is evaluated.

import { chartOf, isDrawn, needsWorld } from "./charts.js";
import { drillHref, unitGroups } from "./panels.js";
import { formatNumber } from "./locale.js";
import { loadWorld } from "./world.js";

const page = document.getElementById("dashboard");

function readJson(id) {
  const element = document.getElementById(id);
  return element ? JSON.parse(element.textContent) : null;
}

const format = formatNumber;
// ECharts' own texts (its description for screen readers) in the reader's language: the locale file the page
// loads registers it; English is built in.
const echartsLocale = page && page.dataset.echartsLocale ? page.dataset.echartsLocale : "EN";

class PanelView {
  constructor(section) {
    this.section = section;
    this.panel = readJson(section.dataset.json);
    this.chartBox = section.querySelector(".panel__chart");
    this.tableBox = section.querySelector(".panel__table");
    this.tools = section.querySelector(".panel__tools");
    this.toggle = section.querySelector(".panel__table-toggle");
    this.png = section.querySelector(".panel__png");
    this.unitSelect = section.querySelector(".panel__unit");
    this.groups = unitGroups(this.panel);
    this.chart = null;
    this.built = null;
  }

  async draw(world) {
    if (!this.groups.length || !this.panel.rows.length) {
      return; // nothing to draw: the table says there is no data
    }
    this.chartBox.hidden = false;
    this.tableBox.hidden = true;
    this.chart = window.echarts.init(this.chartBox, null, { renderer: "canvas", locale: echartsLocale });
    this.render(world, 0);
    this.chart.on("click", (params) => this.drill(params));
    new ResizeObserver(() => this.chart.resize()).observe(this.chartBox);
    this.wireTools(world);
    this.section.dataset.drawn = "true";
  }

  render(world, groupIndex) {
    this.built = chartOf(this.panel, { group: this.groups[groupIndex], format, world });
    this.chart.setOption(this.built.option, true);
  }

  drill(params) {
    const href = drillHref(page.dataset.drillUrl, this.panel, this.built.rowAt(params));
    if (href) {
      window.location.assign(href);
    }
  }

  wireTools(world) {
    this.tools.hidden = false;
    this.toggle.addEventListener("click", () => this.showTable(this.toggle.getAttribute("aria-pressed") !== "true"));
    this.png.addEventListener("click", () => this.downloadPng());
    if (this.groups.length > 1) {
      for (const [index, group] of this.groups.entries()) {
        this.unitSelect.append(new Option(group.label, String(index)));
      }
      this.unitSelect.closest("label").hidden = false;
      this.unitSelect.addEventListener("change", () => this.render(world, Number(this.unitSelect.value)));
    }
  }

  showTable(table) {
    this.toggle.setAttribute("aria-pressed", String(table));
    this.tableBox.hidden = !table;
    this.chartBox.hidden = table;
    this.png.disabled = table;
    if (!table) {
      this.chart.resize();
    }
  }

  downloadPng() {
    const link = document.createElement("a");
    link.href = this.chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#ffffff" });
    link.download = `${this.panel.key}.png`;
    link.className = "visually-hidden";
    document.body.append(link);
    link.click();
    link.remove();
  }
}

async function main() {
  if (!page || !window.echarts) {
    return;
  }
  const views = [...page.querySelectorAll(".panel[data-json]")]
    .map((section) => new PanelView(section))
    .filter((view) => view.panel && isDrawn(view.panel.chart));
  let world = null;
  if (views.some((view) => needsWorld(view.panel.chart)) && window.topojson) {
    world = loadWorld(window.echarts, window.topojson, page.dataset.worldUrl, readJson("dashboard-countries") || {})
      .catch((error) => {
        console.error(error);
        return null;
      });
  }
  await Promise.all(
    views.map(async (view) => {
      try {
        const needed = needsWorld(view.panel.chart) ? await world : null;
        if (needsWorld(view.panel.chart) && !needed) {
          return; // no map: the table stays
        }
        await view.draw(needed);
      } catch (error) {
        console.error(view.panel.key, error);
        view.chartBox.hidden = true;
        view.tableBox.hidden = false;
      }
    }),
  );
  page.dataset.ready = "true";
}

main();
