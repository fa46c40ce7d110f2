// Reading a panel's data (PanelData, served by the page and by /api/v1/statistics/{key}/):
// {key, title, description, chart, columns: [{key, label, unit}], rows: [{...}], source, as_of, notes,
//  drill: {row key: report list query}} (or a "drill" value in each row).
// Columns without a unit are the rows' dimensions (month, country, category...), columns with one are figures.
// A chart never mixes units: it draws the figures of one unit at a time (the page offers the others).

export function dimensionsOf(panel) {
  return panel.columns.filter((column) => !column.unit);
}

export function measuresOf(panel) {
  return panel.columns.filter((column) => column.unit);
}

// The panel's figures grouped by unit, in the order the columns come: [{unit, label, columns}].
export function unitGroups(panel) {
  const groups = [];
  for (const column of measuresOf(panel)) {
    let group = groups.find((candidate) => candidate.unit === column.unit);
    if (!group) {
      group = { unit: column.unit, label: column.unit_label || column.unit, columns: [] };
      groups.push(group);
    }
    group.columns.push(column);
  }
  return groups;
}

// What a dimension's value says to a reader: its label when the row carries one ("<key>_label"), else the value.
export function labelOf(row, column) {
  const label = row[`${column.key}_label`];
  const value = label === undefined || label === null || label === "" ? row[column.key] : label;
  return value === undefined || value === null ? "" : String(value);
}

// The code behind a dimension's label: a "label" column stands for the row's "value", a "<name>_label" column
// for its "<name>" (a country's ISO code, a category's code); any other column is its own code.
export function codeOf(row, column) {
  if (column.key === "label") {
    return row.value ?? row.label;
  }
  if (column.key.endsWith("_label")) {
    return row[column.key.slice(0, -"_label".length)] ?? row[column.key];
  }
  return row[column.key];
}

// A figure as a number for a chart; a suppressed cell ("< 3") or an empty one is no number (drawn as nothing).
export function numberOf(row, column) {
  const value = row[column.key];
  if (typeof value === "number") {
    return value;
  }
  if (typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value))) {
    return Number(value);
  }
  return null;
}

// The row's key in panel.drill: its first dimension's value (or the values of every dimension, joined by "|").
function rowKeys(panel, row) {
  const values = dimensionsOf(panel).map((column) => String(row[column.key] ?? ""));
  return [values.join("|"), values[0]];
}

// The report list query of a row (a query string without "?"), or "" when the row leads to no reports.
export function drillQuery(panel, row) {
  if (!row) {
    return "";
  }
  if (typeof row.drill === "string") {
    // A link to the report list ("/reports/?status=approved&...") or its query alone.
    return row.drill.includes("?") ? row.drill.slice(row.drill.indexOf("?") + 1) : row.drill;
  }
  const drill = panel.drill || {};
  for (const key of rowKeys(panel, row)) {
    if (typeof drill[key] === "string") {
      return drill[key].replace(/^\?/, "");
    }
  }
  return "";
}

// Where a click on a row's bar, slice or country leads: a report list link goes through the dashboard's drill
// view (which says how many of the counted reports the reader cannot open), a link to one report as it is,
// and nothing that is not a page of this site.
export function drillHref(base, panel, row) {
  if (row && typeof row.drill === "string" && row.drill.startsWith("/") && !row.drill.startsWith("//")) {
    if (!row.drill.includes("?")) {
      return row.drill;
    }
  }
  const query = drillQuery(panel, row);
  return query ? `${base}?${query}` : "";
}
