import L from 'leaflet';
import { useEffect, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { api, path } from '../api/client';
import { useLiveEvents } from '../api/live';
import type { Cluster } from '../api/types';
import { ErrorMessage } from '../components/ui';
import { count } from '../format';
import { clusterIcon, useMap } from './useMap';

/**
 * Last known positions clustered by the server on a grid fitted to the zoom level
 * (GET /v1/sims/positions/clusters): one small answer whatever the fleet size; re-read when the view moves.
 */
export function ClusterMap({ height, statuses }: { height: number; statuses?: string[] }) {
  const { ref, map } = useMap();
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>(null);
  const [total, setTotal] = useState<number | null>(null);
  const layer = useRef<L.LayerGroup | null>(null);
  const reload = useRef<() => void>(() => undefined);

  useEffect(() => {
    if (!map) return;
    layer.current = L.layerGroup().addTo(map);
    let controller: AbortController | null = null;
    const load = () => {
      controller?.abort();
      controller = new AbortController();
      const b = map.getBounds();
      const wide = b.getEast() - b.getWest() >= 360;
      const bbox = wide
        ? undefined
        : [Math.max(-180, b.getWest()), Math.max(-90, b.getSouth()), Math.min(180, b.getEast()), Math.min(90, b.getNorth())].join(',');
      api
        .get<{ total: number; clusters: Cluster[] }>(
          path('/v1/sims/positions/clusters', { zoom: map.getZoom(), bbox, status: statuses?.join(',') }),
          {
            signal: controller.signal,
          },
        )
        .then((answer) => {
          setError(null);
          setTotal(answer.total);
          layer.current?.clearLayers();
          for (const c of answer.clusters) {
            const marker = L.marker([c.lat, c.lon], {
              icon: clusterIcon(c.count, c.status),
              title: c.iccid ? `SIM ${c.name ?? c.iccid}` : `${c.count} SIMs`,
              alt: c.iccid ? `SIM ${c.name ?? c.iccid}` : `${c.count} SIMs`,
              keyboard: true,
            });
            marker.on('click', () => (c.iccid ? navigate(`/sims/${c.iccid}`) : map.setView([c.lat, c.lon], Math.min(map.getZoom() + 3, 18))));
            marker.addTo(layer.current!);
          }
        })
        .catch((e: unknown) => {
          if ((e as Error).name !== 'AbortError') setError(e);
        });
    };
    reload.current = load;
    map.on('moveend', load);
    load();
    return () => {
      controller?.abort();
      map.off('moveend', load);
      layer.current?.remove();
    };
  }, [map, navigate, statuses]);

  // Positions move as devices report: re-read, at most every few seconds.
  const pending = useRef<number | null>(null);
  useLiveEvents({ types: ['sim.location.updated'] }, () => {
    if (pending.current !== null) return;
    pending.current = window.setTimeout(() => {
      pending.current = null;
      reload.current();
    }, 3000);
  });
  useEffect(() => () => void (pending.current !== null && window.clearTimeout(pending.current)), []);

  return (
    <div>
      {error ? <ErrorMessage error={error} /> : null}
      <div ref={ref} className="map" style={{ height }} role="region" aria-label="Map of last known SIM positions" />
      <p className="muted small" aria-live="polite">
        {total === null
          ? 'Loading positions…'
          : total === 0
            ? 'No SIM has reported a position yet.'
            : `${count(total)} SIMs with a known position in view.`}
      </p>
    </div>
  );
}
