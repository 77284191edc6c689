import { useEffect, useState } from 'react';
import { Paper, Skeleton, Text } from '@mantine/core';
import { LineChart } from '@mantine/charts';
import type { HistoryPoint } from '../../../app/api/index.ts';
import { api } from '../api/client.ts';
import { useCatalogStore } from '../store/catalog-store.ts';

/** Size and duration of a database's successful backups over time. */
export function HistoryChart({ databaseId, label }: { databaseId: number; label: string }) {
  const [points, setPoints] = useState<HistoryPoint[]>();
  const historyVersion = useCatalogStore((s) => s.historyVersion);
  useEffect(() => {
    let live = true;
    api.call('history.series', { databaseId, limit: 200 }).then(
      ({ points }) => live && setPoints(points),
      () => live && setPoints([]),
    );
    return () => {
      live = false;
    };
  }, [databaseId, historyVersion]);

  const list = points ?? [];
  // Round numbers in units that suit this database: KB or MB, milliseconds or seconds.
  const maxBytes = Math.max(0, ...list.map((p) => p.bytes));
  const maxMs = Math.max(0, ...list.map((p) => p.durationMs));
  const sizeUnit = maxBytes >= 1e6 ? { label: 'MB', divisor: 1e6 } : { label: 'KB', divisor: 1e3 };
  const timeUnit = maxMs >= 2000 ? { label: 's', divisor: 1000 } : { label: 'ms', divisor: 1 };
  const spanMs = list.length > 1 ? Date.parse(list.at(-1)!.at) - Date.parse(list[0]!.at) : 0;
  const whenFormat: Intl.DateTimeFormatOptions =
    spanMs < 86_400_000 ? { hour: '2-digit', minute: '2-digit', second: '2-digit' } : { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' };
  const data = list.map((point) => ({
    when: new Date(point.at).toLocaleString(undefined, whenFormat),
    size: Math.round((point.bytes / sizeUnit.divisor) * 10) / 10,
    duration: Math.round((point.durationMs / timeUnit.divisor) * 10) / 10,
  }));

  return (
    <Paper withBorder p="md" radius="md" role="figure" aria-label={`Backup size and duration of ${label}`}>
      <Text fw={600} size="sm" mb="xs">
        {label}: size and duration of each backup
      </Text>
      {!points ? (
        <Skeleton height={200} />
      ) : data.length === 0 ? (
        <Text size="sm" c="dimmed" py="xl" ta="center">
          No successful backups of {label} yet.
        </Text>
      ) : (
        <LineChart
          h={220}
          data={data}
          dataKey="when"
          withLegend
          withRightYAxis
          yAxisLabel={sizeUnit.label}
          rightYAxisLabel={timeUnit.label}
          series={[
            { name: 'size', label: `Size (${sizeUnit.label})`, color: 'blue.6' },
            { name: 'duration', label: `Duration (${timeUnit.label})`, color: 'orange.6', yAxisId: 'right' },
          ]}
          curveType="monotone"
          withDots={data.length <= 40}
          tooltipAnimationDuration={0}
        />
      )}
    </Paper>
  );
}
