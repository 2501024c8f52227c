import L from 'leaflet';
import { useEffect, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import Supercluster from 'supercluster';
import { api, path, type Page } from '../api/client';
import { useLiveEvents } from '../api/live';
import type { Position } from '../api/types';
import { ErrorMessage, ProgressBar } from '../components/ui';
import { count } from '../format';
import { clusterIcon, useMap } from './useMap';

type Props = { iccid: string; name: string | null; status: string };

/**
 * Every last known position, clustered in the browser (supercluster): panning and zooming need no request,
 * and positions move live as devices report. For fleets too large to hold, the page uses ClusterMap.
 */
export function PointsMap({ height, expected }: { height: number; expected: number }) {
  const { ref, map } = useMap();
  const navigate = useNavigate();
  const [loaded, setLoaded] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const [ready, setReady] = useState(false);
  const positions = useRef(new Map<string, Position>());
  const index = useRef<Supercluster<Props> | null>(null);
  const layer = useRef<L.LayerGroup | null>(null);
  const draw = useRef<() => void>(() => undefined);

  const rebuild = () => {
    const cluster = new Supercluster<Props>({ radius: 60, maxZoom: 16 });
    cluster.load(
      [...positions.current.values()].map((p) => ({
        type: 'Feature' as const,
        geometry: { type: 'Point' as const, coordinates: [p.lon, p.lat] },
        properties: { iccid: p.iccid, name: p.name, status: p.status },
      })),
    );
    index.current = cluster;
    draw.current();
  };

  useEffect(() => {
    const controller = new AbortController();
    void (async () => {
      try {
        let cursor: string | null = null;
        do {
          const page: Page<Position> = await api.get<Page<Position>>(path('/v1/sims/positions', { limit: 10_000, cursor }), {
            signal: controller.signal,
          });
          for (const p of page.data) positions.current.set(p.iccid, p);
          setLoaded(positions.current.size);
          cursor = page.nextCursor;
        } while (cursor);
        rebuild();
        setReady(true);
      } catch (e) {
        if (!controller.signal.aborted) setError(e);
      }
    })();
    return () => controller.abort();
  }, []);

  useEffect(() => {
    if (!map) return;
    layer.current = L.layerGroup().addTo(map);
    draw.current = () => {
      if (!index.current || !layer.current) return;
      const b = map.getBounds();
      const clusters = index.current.getClusters(
        [Math.max(-180, b.getWest()), Math.max(-85, b.getSouth()), Math.min(180, b.getEast()), Math.min(85, b.getNorth())],
        Math.round(map.getZoom()),
      );
      layer.current.clearLayers();
      for (const c of clusters) {
        const [lon, lat] = c.geometry.coordinates;
        const props = c.properties as Partial<Props> & { cluster?: boolean; point_count?: number; cluster_id?: number };
        const n = props.cluster ? (props.point_count ?? 0) : 1;
        const title = props.cluster ? `${n} SIMs` : `SIM ${props.name ?? props.iccid}`;
        const marker = L.marker([lat, lon], { icon: clusterIcon(n, props.status), title, alt: title, keyboard: true });
        marker.on('click', () => {
          if (props.cluster && props.cluster_id !== undefined)
            map.setView([lat, lon], Math.min(index.current!.getClusterExpansionZoom(props.cluster_id), 18));
          else void navigate(`/sims/${props.iccid}`);
        });
        marker.addTo(layer.current);
      }
    };
    map.on('moveend', draw.current);
    draw.current();
    return () => {
      map.off('moveend', draw.current);
      layer.current?.remove();
    };
  }, [map, navigate]);

  const pending = useRef<number | null>(null);
  useLiveEvents<{ iccid: string; lat: number; lon: number; accuracyM: number | null; at: string }>({ types: ['sim.location.updated'] }, (event) => {
    const known = positions.current.get(event.data.iccid);
    if (known && new Date(known.at) > new Date(event.data.at)) return;
    positions.current.set(event.data.iccid, {
      iccid: event.data.iccid,
      name: known?.name ?? null,
      status: known?.status ?? 'active',
      lat: event.data.lat,
      lon: event.data.lon,
      accuracyM: event.data.accuracyM,
      at: event.data.at,
    });
    if (pending.current !== null) return;
    pending.current = window.setTimeout(() => {
      pending.current = null;
      rebuild();
      setLoaded(positions.current.size);
    }, 1000);
  });
  useEffect(() => () => void (pending.current !== null && window.clearTimeout(pending.current)), []);

  return (
    <div>
      {error ? <ErrorMessage error={error} /> : null}
      {!ready && !error ? <ProgressBar value={loaded} max={Math.max(expected, loaded)} label="Loading positions" /> : null}
      <div
        ref={ref}
        className="map"
        style={{ height }}
        role="region"
        aria-label="Map of last known SIM positions"
        data-positions={ready ? loaded : undefined}
      />
      <p className="muted small" aria-live="polite">
        {ready
          ? loaded
            ? `${count(loaded)} SIMs with a known position.`
            : 'No SIM has reported a position yet.'
          : `Loading positions… ${count(loaded)}`}
      </p>
    </div>
  );
}
