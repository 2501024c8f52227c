import { haversineMeters, impliedSpeedKmh, insideFence, type Fence } from './geo.js';

describe('haversineMeters', () => {
  it.each([
    ['the same point', { lat: 48.8566, lon: 2.3522 }, { lat: 48.8566, lon: 2.3522 }, 0, 0.001],
    ['Paris → London', { lat: 48.8566, lon: 2.3522 }, { lat: 51.5074, lon: -0.1278 }, 343_550, 1_000],
    ['Paris → New York', { lat: 48.8566, lon: 2.3522 }, { lat: 40.7128, lon: -74.006 }, 5_837_000, 10_000],
    ['one degree of latitude', { lat: 0, lon: 0 }, { lat: 1, lon: 0 }, 111_195, 10],
    ['one degree of longitude at 60°N (half the equator’s)', { lat: 60, lon: 0 }, { lat: 60, lon: 1 }, 55_597, 50],
    ['across the antimeridian', { lat: 0, lon: 179.5 }, { lat: 0, lon: -179.5 }, 111_195, 10],
    ['antipodes (half the circumference)', { lat: 0, lon: 0 }, { lat: 0, lon: 180 }, 20_015_115, 100],
  ])('%s', (_name, a, b, expected, tolerance) => {
    expect(Math.abs(haversineMeters(a, b) - expected)).toBeLessThanOrEqual(tolerance);
    expect(haversineMeters(b, a)).toBeCloseTo(haversineMeters(a, b), 6);
  });
});

describe('impliedSpeedKmh', () => {
  const at = (iso: string) => new Date(iso);
  it.each([
    [
      'Paris → London in 1 h: a plane',
      { lat: 48.8566, lon: 2.3522, accuracyM: 10, at: at('2026-11-28T10:00:00Z') },
      { lat: 51.5074, lon: -0.1278, accuracyM: 10, at: at('2026-11-28T11:00:00Z') },
      343,
      345,
    ],
    [
      'Paris → London in 10 min: impossible',
      { lat: 48.8566, lon: 2.3522, accuracyM: 10, at: at('2026-11-28T10:00:00Z') },
      { lat: 51.5074, lon: -0.1278, accuracyM: 10, at: at('2026-11-28T10:10:00Z') },
      2_060,
      2_062,
    ],
    [
      'two cell fixes of a parked device, 1 km apart with 2 km accuracy',
      { lat: 48.85, lon: 2.35, accuracyM: 2_000, at: at('2026-11-28T10:00:00Z') },
      { lat: 48.859, lon: 2.35, accuracyM: 2_000, at: at('2026-11-28T10:00:10Z') },
      0,
      0,
    ],
    [
      'fixes at the same instant count as 1 s apart',
      { lat: 0, lon: 0, accuracyM: null, at: at('2026-11-28T10:00:00Z') },
      { lat: 0, lon: 0.01, accuracyM: null, at: at('2026-11-28T10:00:00Z') },
      4_002,
      4_004,
    ],
    [
      'fixes given in reverse order still measure the gap',
      { lat: 0, lon: 0, accuracyM: 0, at: at('2026-11-28T11:00:00Z') },
      { lat: 1, lon: 0, accuracyM: 0, at: at('2026-11-28T10:00:00Z') },
      111,
      112,
    ],
  ])('%s', (_name, from, to, min, max) => {
    const { kmh } = impliedSpeedKmh(from, to);
    expect(kmh).toBeGreaterThanOrEqual(min);
    expect(kmh).toBeLessThanOrEqual(max);
  });
});

describe('insideFence', () => {
  const circle: Fence = { circle: { lat: 45.764, lon: 4.8357, radiusM: 1_000 } }; // Lyon
  // A 2 × 2 degree square around (0, 0) with a 1 × 1 hole in its middle, as GeoJSON [lon, lat].
  const square: Fence = {
    polygon: {
      type: 'Polygon',
      coordinates: [
        [
          [-1, -1],
          [1, -1],
          [1, 1],
          [-1, 1],
          [-1, -1],
        ],
        [
          [-0.5, -0.5],
          [0.5, -0.5],
          [0.5, 0.5],
          [-0.5, 0.5],
          [-0.5, -0.5],
        ],
      ],
    },
  };
  // A concave "L": the notch (0.5, 0.5) is outside.
  const ell: Fence = {
    polygon: {
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [1, 0],
          [1, 0.4],
          [0.4, 0.4],
          [0.4, 1],
          [0, 1],
          [0, 0],
        ],
      ],
    },
  };

  it.each([
    ['the circle’s centre', circle, { lat: 45.764, lon: 4.8357 }, true],
    ['900 m north of the centre', circle, { lat: 45.764 + 900 / 111_195, lon: 4.8357 }, true],
    ['1.1 km north of the centre', circle, { lat: 45.764 + 1_100 / 111_195, lon: 4.8357 }, false],
    ['Paris, far outside the circle', circle, { lat: 48.8566, lon: 2.3522 }, false],
    ['inside the square, outside the hole', square, { lat: 0.8, lon: 0.8 }, true],
    ['in the hole', square, { lat: 0, lon: 0 }, false],
    ['outside the square', square, { lat: 2, lon: 0 }, false],
    ['in the L’s foot', ell, { lat: 0.2, lon: 0.8 }, true],
    ['in the L’s leg', ell, { lat: 0.8, lon: 0.2 }, true],
    ['in the L’s notch', ell, { lat: 0.7, lon: 0.7 }, false],
  ])('%s', (_name, fence, point, inside) => {
    expect(insideFence(fence, point)).toBe(inside);
  });
});
