import { describe, expect, it } from 'vitest';
import { detectFormat } from '../../src/ingest/files/detect.ts';
import { importContent } from '../../src/ingest/files/import-file.ts';

/** A notebook as Jupyter saves it: Keras output in a stream, the Hugging Face Trainer's table as HTML. */
function notebook(): string {
  const stream = {
    output_type: 'stream',
    name: 'stdout',
    text: [
      'Epoch 1/2\n',
      '100/100 [==============================] - 2s 15ms/step - loss: 0.9000 - accuracy: 0.6000 - val_loss: 0.8000 - val_accuracy: 0.6500\n',
      'Epoch 2/2\n',
      '100/100 [==============================] - 1s 12ms/step - loss: 0.6000 - accuracy: 0.7500 - val_loss: nan - val_accuracy: 0.7000\n',
      'frames 12.5/s\n',
    ],
  };
  const html =
    '<div><progress value="1000" max="1000"></progress> [1000/1000 10:00, Epoch 2/2]</div><table border="1"><thead><tr><th>Step</th><th>Training Loss</th>' +
    '<th>Validation Loss</th></tr></thead><tbody><tr><td>500</td><td>1.234500</td><td>1.100000</td></tr><tr><td>1000</td><td>0.834500</td><td>0.900000</td></tr></tbody></table>';
  const table = { output_type: 'display_data', metadata: {}, data: { 'text/plain': ['<IPython.core.display.HTML object>'], 'text/html': [html] } };
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      { cell_type: 'markdown', metadata: {}, source: ['# Training'] },
      { cell_type: 'code', metadata: {}, execution_count: 1, source: ['model.fit(x, y)'], outputs: [stream] },
      { cell_type: 'code', metadata: {}, execution_count: 2, source: ['trainer.train()'], outputs: [table] },
    ],
  });
}

describe('Jupyter notebooks', () => {
  it('are told by name or by shape', () => {
    expect(detectFormat('train.ipynb', notebook())).toBe('notebook');
    expect(detectFormat('saved.json', notebook())).toBe('notebook');
    // A tailer's head of a notebook does not parse; its name tells.
    expect(detectFormat('train.ipynb', notebook().slice(0, 100))).toBe('notebook');
  });

  it("read the cells' printed output as a log: streams line by line, HTML tables by their rows; what no format reads is counted", () => {
    const run = importContent(notebook(), 'notebook', 'nb');
    const metrics = run.events.filter((e) => e.type === 'metrics');
    expect(metrics.map((e) => [e.epoch, e.step])).toEqual([
      [1, undefined],
      [2, undefined],
      [2, 500],
      [2, 1000],
    ]);
    expect(metrics[1].values.loss).toBe(0.6);
    expect(Number.isNaN(metrics[1].values.val_loss)).toBe(true);
    expect(metrics[3].values).toEqual({ train_loss: 0.8345, val_loss: 0.9 });
    expect(run.read).toMatchObject({ format: 'notebook', points: 12, skipped: 1, examples: [{ code: 'not_read', text: 'frames 12.5/s' }] });
  });
});
