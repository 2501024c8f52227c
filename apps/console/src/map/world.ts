// The offline base map: Natural Earth countries (1:110m) from the world-atlas package, shipped with the console
// as a file of its own (fetched once, cached by the browser), turned into GeoJSON keyed by ISO alpha-2 code.
import type { Feature, FeatureCollection, Geometry } from 'geojson';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import worldUrl from 'world-atlas/countries-110m.json?url';
import { ALPHA2_BY_NAME, NUMERIC_TO_ALPHA2 } from './iso-numeric';

export interface CountryProperties {
  name: string;
  /** ISO 3166-1 alpha-2, or null for territories without one. */
  code: string | null;
}

export type Countries = FeatureCollection<Geometry, CountryProperties>;

let world: Promise<Countries> | null = null;

type Ring = number[][];

/**
 * A ring that crosses the antimeridian (Russia's far east, Fiji…) jumps from 180° to −180°: drawn flat on
 * the map, that jump is a line across the world. Its western part is moved past 180° instead.
 */
function unwrap(ring: Ring): Ring {
  const lons = ring.map((p) => p[0]);
  if (Math.max(...lons) - Math.min(...lons) <= 180) return ring;
  return ring.map(([lon, lat]) => [lon < 0 ? lon + 360 : lon, lat]);
}

function unwrapGeometry(geometry: Geometry): Geometry {
  if (geometry.type === 'Polygon') return { ...geometry, coordinates: geometry.coordinates.map(unwrap) };
  if (geometry.type === 'MultiPolygon') return { ...geometry, coordinates: geometry.coordinates.map((polygon) => polygon.map(unwrap)) };
  return geometry;
}

export function loadWorld(): Promise<Countries> {
  if (world) return world;
  world = fetch(worldUrl)
    .then((response) => {
      if (!response.ok) throw new Error(`world map: ${response.status}`);
      return response.json() as Promise<Topology<{ countries: GeometryCollection<{ name: string }> }>>;
    })
    .then((topology) => {
      const collection = feature(topology, topology.objects.countries) as FeatureCollection<Geometry, { name: string }>;
      return {
        type: 'FeatureCollection' as const,
        // Antarctica is left out: no network there, and its ring around the pole cannot be drawn flat.
        features: collection.features
          .filter((f) => f.properties.name !== 'Antarctica')
          .map((f): Feature<Geometry, CountryProperties> => ({
            ...f,
            geometry: unwrapGeometry(f.geometry),
            properties: {
              name: f.properties.name,
              code: (f.id !== undefined ? NUMERIC_TO_ALPHA2[String(f.id)] : undefined) ?? ALPHA2_BY_NAME[f.properties.name] ?? null,
            },
          })),
      };
    })
    .catch((error: unknown) => {
      world = null;
      throw error;
    });
  return world;
}
