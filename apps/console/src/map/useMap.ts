import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { useEffect, useRef, useState } from 'react';
import { loadSettings } from './settings';
import { loadWorld, type CountryProperties } from './world';

export interface MapOptions {
  /** Initial view: the whole world by default. */
  center?: [number, number];
  zoom?: number;
  /** Country shapes are drawn by the caller (choropleth) instead of the plain outline. */
  countries?: false;
}

const OUTLINE: L.PathOptions = { color: '#8a94a6', weight: 0.6, fillColor: '#e8ecf2', fillOpacity: 1 };

/**
 * A Leaflet map on the element: the packaged world outline (works offline, in tests), with the configured
 * raster tiles on top when CONSOLE_MAP_TILES_URL is set. Returns the map once ready.
 */
export function useMap(options: MapOptions = {}): {
  ref: React.RefObject<HTMLDivElement | null>;
  map: L.Map | null;
  countries: L.GeoJSON<CountryProperties> | null;
} {
  const ref = useRef<HTMLDivElement | null>(null);
  const [map, setMap] = useState<L.Map | null>(null);
  const [countries, setCountries] = useState<L.GeoJSON<CountryProperties> | null>(null);
  useEffect(() => {
    if (!ref.current) return;
    const created = L.map(ref.current, {
      center: options.center ?? [25, 10],
      zoom: options.zoom ?? 1,
      minZoom: 1,
      maxZoom: 18,
      worldCopyJump: true,
      preferCanvas: true,
      attributionControl: true,
    });
    created.attributionControl.setPrefix('');
    let cancelled = false;
    void loadWorld().then((world) => {
      if (cancelled) return;
      const layer = L.geoJSON(world, {
        style: () => OUTLINE,
        interactive: options.countries === false,
        renderer: L.canvas({ padding: 0.2 }),
      } as L.GeoJSONOptions).addTo(created);
      layer.bringToBack();
      created.attributionControl.addAttribution('Natural Earth');
      setCountries(layer as L.GeoJSON<CountryProperties>);
    });
    void loadSettings().then((s) => {
      if (cancelled || !s.mapTilesUrl) return;
      L.tileLayer(s.mapTilesUrl, { attribution: s.mapTilesAttribution ?? undefined, maxZoom: 19 }).addTo(created);
    });
    setMap(created);
    return () => {
      cancelled = true;
      created.remove();
      setMap(null);
      setCountries(null);
    };
    // The map is created once per mount.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return { ref, map, countries };
}

/** A round marker with a count (a cluster) or a dot (one SIM), as HTML so it is focusable and labelled. */
export function clusterIcon(count: number, status?: string | null): L.DivIcon {
  if (count === 1) return L.divIcon({ className: `sim-dot sim-dot-${status ?? 'active'}`, iconSize: [14, 14] });
  const size = count < 10 ? 28 : count < 100 ? 34 : count < 1000 ? 40 : 48;
  return L.divIcon({
    className: 'cluster',
    html: `<span>${count >= 10_000 ? `${Math.round(count / 1000)}k` : count}</span>`,
    iconSize: [size, size],
  });
}
