/** Geometry of the theft rules: great-circle distance, travel speed and geofence containment. */

export interface GeoPoint {
  lat: number;
  lon: number;
}

/** A located fix: where, when, and how precise the device said it was. */
export interface Fix extends GeoPoint {
  at: Date;
  accuracyM: number | null;
}

const EARTH_RADIUS_M = 6_371_008.8; // mean Earth radius (IUGG)
const rad = (deg: number) => (deg * Math.PI) / 180;

/** Great-circle distance in metres (haversine; within 0.5 % of the ellipsoid, enough for alerting). */
export function haversineMeters(a: GeoPoint, b: GeoPoint): number {
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * The speed implied by two consecutive fixes, in km/h. Both fixes' accuracy radii are taken off the
 * distance first, so two imprecise cell fixes of a parked device never look like travel. Fixes at the
 * same instant count as one second apart (a real jump still shows as an absurd speed).
 */
export function impliedSpeedKmh(from: Fix, to: Fix): { distanceM: number; hours: number; kmh: number } {
  const raw = haversineMeters(from, to);
  const distanceM = Math.max(0, raw - (from.accuracyM ?? 0) - (to.accuracyM ?? 0));
  const seconds = Math.max(1, Math.abs(to.at.getTime() - from.at.getTime()) / 1000);
  const hours = seconds / 3600;
  return { distanceM, hours, kmh: distanceM / 1000 / hours };
}

export interface CircleFence {
  lat: number;
  lon: number;
  radiusM: number;
}

/** A GeoJSON Polygon: linear rings of [lon, lat] positions, the first the outer boundary, the others holes. */
export interface PolygonFence {
  type: 'Polygon';
  coordinates: number[][][];
}

export type Fence = { circle: CircleFence } | { polygon: PolygonFence };

/** Ray casting on one ring, in plain lon/lat (fences are small enough for the planar approximation). */
function inRing(point: GeoPoint, ring: number[][]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    const crosses = yi > point.lat !== yj > point.lat && point.lon < ((xj - xi) * (point.lat - yi)) / (yj - yi) + xi;
    if (crosses) inside = !inside;
  }
  return inside;
}

/** Whether a point lies inside the fence (a polygon's holes are outside). */
export function insideFence(fence: Fence, point: GeoPoint): boolean {
  if ('circle' in fence) return haversineMeters(fence.circle, point) <= fence.circle.radiusM;
  const [outer, ...holes] = fence.polygon.coordinates;
  return inRing(point, outer) && !holes.some((hole) => inRing(point, hole));
}
