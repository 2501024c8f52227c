import type L from 'leaflet';
import { useEffect } from 'react';
import { useMap } from './useMap';
import type { CountryProperties } from './world';

const SCALE = ['#e8ecf2', '#c6dbef', '#9ecae1', '#6baed6', '#3182bd', '#08519c'];

/** Countries coloured by a value (sessions, bytes, SIMs); clicking one selects it. */
export function Choropleth({
  values,
  selected,
  onSelect,
  describe,
}: {
  values: Map<string, number>;
  selected: string | null;
  onSelect: (code: string | null) => void;
  describe: string;
}) {
  const { ref, map, countries } = useMap({ countries: false });
  useEffect(() => {
    if (!countries) return;
    const max = Math.max(0, ...values.values());
    countries.setStyle((feature) => {
      const code = (feature?.properties as CountryProperties | undefined)?.code ?? null;
      const value = code ? (values.get(code) ?? 0) : 0;
      const step = value > 0 && max > 0 ? Math.min(SCALE.length - 1, 1 + Math.floor((Math.log1p(value) / Math.log1p(max)) * (SCALE.length - 2))) : 0;
      return {
        fillColor: SCALE[step],
        fillOpacity: 1,
        color: code && code === selected ? '#111827' : '#8a94a6',
        weight: code && code === selected ? 2 : 0.6,
      };
    });
    countries.off('click');
    countries.on('click', (event: L.LeafletMouseEvent) => {
      const code = (event.propagatedFrom?.feature?.properties as CountryProperties | undefined)?.code ?? null;
      onSelect(code && values.has(code) ? code : null);
    });
    countries.eachLayer((layer) => {
      const props = (layer as L.Path & { feature?: { properties: CountryProperties } }).feature?.properties;
      if (!props) return;
      layer.unbindTooltip();
      const value = props.code ? values.get(props.code) : undefined;
      layer.bindTooltip(`${props.name}: ${value === undefined ? 'no sessions' : value.toLocaleString('en')}`, { sticky: true });
    });
  }, [countries, values, selected, onSelect]);
  useEffect(() => void map?.invalidateSize(), [map]);
  return <div ref={ref} className="map" style={{ height: 420 }} role="region" aria-label={describe} />;
}

export const CHOROPLETH_SCALE = SCALE;
