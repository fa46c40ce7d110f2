// The world map of the dashboards: world-atlas's countries-110m TopoJSON (npm, served as a static file),
// converted to GeoJSON with topojson-client and registered with ECharts once per page.
// world-atlas names countries by ISO 3166-1 numeric code; panels by alpha-2 code: the page gives the mapping.

const NAME = "rilo-world";
let loading = null;

// The centroid of a ring ([[lon, lat], ...]) and its area (shoelace formula; planar, enough to place a point).
function ringCentroid(ring) {
  let area = 0;
  let x = 0;
  let y = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
    const cross = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
    area += cross;
    x += (ring[j][0] + ring[i][0]) * cross;
    y += (ring[j][1] + ring[i][1]) * cross;
  }
  if (area === 0) {
    return { area: 0, point: ring[0] };
  }
  return { area: Math.abs(area / 2), point: [x / (3 * area), y / (3 * area)] };
}

// Where a country's flows start and end: the centroid of its largest polygon (mainland, not overseas parts).
function pointOfGeometry(geometry) {
  const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
  let best = null;
  for (const polygon of polygons) {
    const candidate = ringCentroid(polygon[0]);
    if (!best || candidate.area > best.area) {
      best = candidate;
    }
  }
  return best ? best.point : null;
}

class World {
  constructor(collection, numericCodes) {
    this.name = NAME;
    this.numericCodes = numericCodes;
    this.points = new Map();
    for (const feature of collection.features) {
      if (feature.geometry) {
        this.points.set(feature.properties.iso, pointOfGeometry(feature.geometry));
      }
    }
  }

  // The map's name for a country (its numeric code) if the map draws it, else null.
  featureOf(alpha2) {
    const numeric = this.numericCodes[String(alpha2 || "").toUpperCase()];
    return numeric && this.points.has(numeric) ? numeric : null;
  }

  // [longitude, latitude] where a country's flows start and end, or null.
  pointOf(alpha2) {
    const feature = this.featureOf(alpha2);
    return feature ? this.points.get(feature) : null;
  }
}

// The world, loaded and registered with ECharts once (later calls share the first load).
export function loadWorld(echarts, topojson, url, numericCodes) {
  if (!loading) {
    loading = fetch(url, { credentials: "same-origin" })
      .then((response) => {
        if (!response.ok) {
          throw new Error(`world map: ${response.status}`);
        }
        return response.json();
      })
      .then((topology) => {
        const collection = topojson.feature(topology, topology.objects.countries);
        for (const feature of collection.features) {
          feature.properties = { ...feature.properties, iso: String(feature.id ?? "") };
        }
        echarts.registerMap(NAME, collection);
        return new World(collection, numericCodes);
      });
  }
  return loading;
}
