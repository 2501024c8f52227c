import L from 'leaflet';
import { useEffect, useRef } from 'react';
import type { Fix } from '../api/types';
import { dateTime } from '../format';
import { useMap } from './useMap';

/** A SIM's trail over a range, and its live position (moved as the device reports, without a reload). */
export function TrailMap({ trail, live, height = 320 }: { trail: Fix[]; live: Fix | null; height?: number }) {
  const { ref, map } = useMap();
  const trailLayer = useRef<L.LayerGroup | null>(null);
  const marker = useRef<L.Marker | null>(null);
  const fitted = useRef(false);

  useEffect(() => {
    if (!map) return;
    trailLayer.current?.remove();
    const group = L.layerGroup().addTo(map);
    trailLayer.current = group;
    const points = trail.map((f) => L.latLng(f.lat, f.lon));
    if (points.length > 1) L.polyline(points, { color: '#2456a6', weight: 3, opacity: 0.8 }).addTo(group);
    for (const f of trail) L.circleMarker([f.lat, f.lon], { radius: 3, color: '#2456a6', weight: 1, fillOpacity: 0.6 }).addTo(group);
    if (!fitted.current && (points.length || live)) {
      fitted.current = true;
      const bounds = L.latLngBounds(live ? [...points, L.latLng(live.lat, live.lon)] : points);
      map.fitBounds(bounds.pad(0.3), { maxZoom: 12 });
    }
  }, [map, trail, live]);

  useEffect(() => {
    if (!map || !live) return;
    const at = L.latLng(live.lat, live.lon);
    if (!marker.current) {
      marker.current = L.marker(at, {
        icon: L.divIcon({ className: 'live-marker', iconSize: [18, 18] }),
        title: 'Live position',
        alt: 'Live position',
        keyboard: true,
        zIndexOffset: 1000,
      }).addTo(map);
    } else marker.current.setLatLng(at);
    const element = marker.current.getElement();
    if (element) {
      element.dataset.lat = String(live.lat);
      element.dataset.lon = String(live.lon);
    }
    if (!map.getBounds().contains(at)) map.panTo(at);
  }, [map, live]);

  useEffect(() => () => void marker.current?.remove(), []);

  return (
    <div>
      <div ref={ref} className="map" style={{ height }} role="region" aria-label="Map of the SIM’s locations" />
      <p className="muted small" aria-live="polite" data-testid="live-position">
        {live
          ? `Live position ${live.lat.toFixed(5)}, ${live.lon.toFixed(5)} (${live.source ?? 'fix'}, ${dateTime(live.at)})`
          : 'No position reported yet.'}
      </p>
    </div>
  );
}
