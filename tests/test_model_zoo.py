"""docs/model_zoo.md and model-index.yml are generated from the metafiles,
and the metafiles' Parameters / FLOPs are what get_flops measures."""
import textwrap
from pathlib import Path

import pytest
import yaml

from tools.misc import gen_model_zoo

ROOT = Path(__file__).resolve().parents[1]
# Re-measured on every run (fast shape-only traces): two classification
# configs and one detector.
REMEASURED = [
    'configs/cls/moganet/moganet-xt_8xb128_in1k.py',
    'configs/cls/moganet/moganet-t_8xb128_in1k.py',
    'configs/det/moganet/retinanet_moganet-t_fpn_1x_coco.py',
]


@pytest.fixture(scope='module')
def zoo():
    return gen_model_zoo


@pytest.fixture(scope='module')
def models(zoo):
    metafiles = zoo.find_metafiles(str(ROOT))
    assert metafiles, 'no configs/**/metafile.yml found'
    return {m.config: m for m in zoo.load_models(str(ROOT), metafiles)[0]}


def test_committed_docs_are_generated_from_the_metafiles(zoo, capsys):
    assert zoo.main(['--check']) == 0, capsys.readouterr().out
    index = yaml.safe_load((ROOT / 'model-index.yml').read_text())
    assert index['Import'] == zoo.find_metafiles(str(ROOT))


def test_metafile_models_have_configs_and_measured_figures(models):
    for config, model in models.items():
        assert (ROOT / config).is_file(), f'{model.name}: {config} missing'
        assert model.params and model.flops, (
            f'{model.name} lacks Metadata Parameters / FLOPs; run '
            'tools/misc/gen_model_zoo.py --update-metadata')


@pytest.mark.parametrize('config', REMEASURED)
def test_metafile_figures_match_a_fresh_measurement(zoo, models, config):
    if config not in models:
        pytest.fail(f'{config} is not in any metafile')
    params, flops = zoo.measure_config(str(ROOT), config)
    assert params == pytest.approx(models[config].params, rel=0.01)
    assert flops == pytest.approx(models[config].flops, rel=0.01)


METAFILE = textwrap.dedent("""\
    Collections:
      - Name: Toy
        Paper:
          Title: A toy network
          URL: https://example.org/toy
    Models:
      # a comment that must survive
      - Name: toy-a_in1k
        In Collection: Toy
        Config: configs/cls/toy/toy-a_in1k.py
        Metadata:
          Training Data: ImageNet-1k
          FLOPs: "1.0G"
        Results:
          - Task: Image Classification
            Dataset: ImageNet-1k
            Metrics:
              Top 1 Accuracy: 70.1
        Weights: https://example.org/toy-a.pth
      - Name: toy-b_coco
        In Collection: Toy
        Config: configs/det/toy/toy-b_coco.py
        Results:
          - Task: Object Detection
            Dataset: COCO
            Metrics:
              box AP: 40.2
          - Task: Instance Segmentation
            Dataset: COCO
            Metrics:
              mask AP: 36.3
    """)


@pytest.fixture
def toy_root(tmp_path):
    metafile = tmp_path / 'configs' / 'cls' / 'toy' / 'metafile.yml'
    metafile.parent.mkdir(parents=True)
    metafile.write_text(METAFILE)
    return tmp_path


def test_update_metafile_only_sets_the_figures(zoo, toy_root):
    metafile = 'configs/cls/toy/metafile.yml'
    figures = {
        'toy-a_in1k': {'FLOPs': 1234567890, 'Parameters': 4567890},
        'toy-b_coco': {'FLOPs': 98765432100, 'Parameters': 23456789},
    }
    assert zoo.update_metafile(str(toy_root), metafile, figures)
    text = (toy_root / metafile).read_text()
    data = yaml.safe_load(text)
    for entry in data['Models']:
        assert {k: entry['Metadata'][k]
                for k in ('FLOPs', 'Parameters')} == figures[entry['Name']]
    assert data['Models'][0]['Metadata']['Training Data'] == 'ImageNet-1k'
    assert '# a comment that must survive' in text
    before = [line for line in METAFILE.splitlines()
              if 'FLOPs' not in line]
    after = [line for line in text.splitlines()
             if 'FLOPs' not in line and 'Parameters' not in line
             and line.strip() != 'Metadata:']
    assert after == [line for line in before if line.strip() != 'Metadata:']
    assert not zoo.update_metafile(str(toy_root), metafile, figures)


def test_generated_tables_and_staleness(zoo, toy_root):
    zoo.update_metafile(
        str(toy_root), 'configs/cls/toy/metafile.yml', {
            'toy-a_in1k': {'FLOPs': 1234567890, 'Parameters': 4567890},
        })
    assert zoo.main(['--root', str(toy_root)]) == 0
    markdown = (toy_root / 'docs' / 'model_zoo.md').read_text()
    assert '[A toy network](https://example.org/toy)' in markdown
    assert ('| toy-a_in1k | [config](../configs/cls/toy/toy-a_in1k.py) | '
            '4.57 | 1.23 | 70.1 | [model](https://example.org/toy-a.pth) |'
            ) in markdown
    assert ('### Object detection and instance segmentation (COCO)'
            in markdown)
    assert '| toy-b_coco |' in markdown and '| 40.2 | 36.3 |' in markdown
    assert zoo.main(['--check', '--root', str(toy_root)]) == 0
    metafile = toy_root / 'configs' / 'cls' / 'toy' / 'metafile.yml'
    metafile.write_text(metafile.read_text().replace('70.1', '70.3'))
    assert zoo.check(str(toy_root)) == ['docs/model_zoo.md']
    assert zoo.main(['--check', '--root', str(toy_root)]) == 1


PRETRAINED_METAFILE = textwrap.dedent("""\
    Models:
      - Name: toy-det
        In Collection: Toy
        Config: configs/det/toy/toy-det.py
        Metadata:
          Parameters: 5
        Pretrained Weights:
          URL: https://example.org/stale.pth
          Page: https://example.org
        # a comment after a generated block
      - Name: toy-manual
        In Collection: Toy
        Config: configs/det/toy/toy-manual.py
        Metadata:
          Parameters: 6
      - Name: toy-scratch
        In Collection: Toy
        Config: configs/det/toy/toy-scratch.py
        Pretrained Weights:
          URL: https://example.org/stale.pth
        Results:
          - Task: Object Detection
            Dataset: COCO
            Metrics:
              box AP: 40.2
    """)


def toy_config(backbone: str, arch: str, init_cfg: str) -> str:
    return (f"_base_ = ['mmdet::_base_/models/retinanet_r50_fpn.py']\n"
            f"model = dict(backbone=dict(_delete_=True, type='{backbone}',\n"
            f"    arch='{arch}', init_cfg={init_cfg}))\n")


def test_metafiles_get_the_release_of_each_config(zoo, tmp_path):
    """The generated keys follow the configs: a URL, a local path with its
    page, a key removed for a config trained from scratch, the classifier
    Weights; every other line stays, and a second run changes nothing."""
    from mmcnn.utils.pretrained import release_for
    moganet, slak = release_for('MogaNet', 'tiny'), release_for('SLaK', 'tiny')
    files = {
        'configs/det/toy/toy-det.py': toy_config(
            'mmcnn.MogaNet', 'tiny',
            f"dict(type='Pretrained', checkpoint='{moganet.url}')"),
        'configs/det/toy/toy-manual.py': toy_config(
            'mmcnn.SLaK', 'tiny',
            f"dict(type='Pretrained', checkpoint='{slak.local_path}')"),
        'configs/det/toy/toy-scratch.py': toy_config(
            'mmcnn.SLaK', 'tiny', 'None'),
        'configs/det/toy/metafile.yml': PRETRAINED_METAFILE,
        'configs/cls/toy/toy-cls.py': toy_config(
            'mmcnn.ConvNeXt', 'tiny', 'None'),
        'configs/cls/toy/metafile.yml': 'Models:\n- Name: toy-cls\n'
        '  In Collection: Toy\n  Config: configs/cls/toy/toy-cls.py\n',
    }
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    assert zoo.main(['--check', '--root', str(tmp_path)]) == 1
    assert zoo.main(['--root', str(tmp_path)]) == 0
    det = (tmp_path / 'configs/det/toy/metafile.yml').read_text()
    models = {m['Name']: m for m in yaml.safe_load(det)['Models']}
    assert models['toy-det']['Pretrained Weights'] == {
        'URL': moganet.url, 'Page': moganet.page}
    assert models['toy-manual']['Pretrained Weights']['Local Path'] == (
        'checkpoints/SLaK_tiny_checkpoint.pth')
    assert models['toy-manual']['Pretrained Weights']['Page'] == slak.page
    assert 'Pretrained Weights' not in models['toy-scratch']
    assert models['toy-scratch']['Results'][0]['Metrics']['box AP'] == 40.2
    assert '# a comment after a generated block' in det
    assert models['toy-manual']['Metadata'] == {'Parameters': 6}
    cls = yaml.safe_load(
        (tmp_path / 'configs/cls/toy/metafile.yml').read_text())['Models']
    assert cls[0]['Weights'] == release_for('ConvNeXt', 'tiny',
                                            'in1k-ema').url
    assert zoo.main(['--check', '--root', str(tmp_path)]) == 0
    markdown = (tmp_path / 'docs' / 'model_zoo.md').read_text()
    assert f'[download]({moganet.url})' in markdown
    assert f'manual: [page]({slak.page}), place at `{slak.local_path}`' in (
        markdown)


# The papers' own counts (classification tables) in their conventions:
# (config, params in M, GFLOPs, relative tolerance of params, of FLOPs).
PAPER_TABLES = [
    ('configs/cls/slak/slak-t_32xb128_in1k.py', 30, 5.0, 0.02, 0.06),
    ('configs/cls/replknet/replknet-31b_32xb64_in1k.py', 79, 15.3, 0.01,
     0.01),
    ('configs/cls/unireplknet/unireplknet-t_32xb128_in1k.py', 31, 4.9,
     0.01, 0.01),
]


def test_paper_convention_families_have_both_counts(zoo, models):
    """Every model of SLaK, RepLKNet and UniRepLKNet has the count in its
    paper's convention, below the as-built count (sparse weights, merged
    branches); the others have none."""
    families = set()
    for model in models.values():
        counting = zoo.PAPER_COUNTINGS.get(model.collection)
        if counting is None:
            assert model.paper_params is None and model.paper_flops is None
            continue
        families.add(model.collection)
        assert model.paper_params and model.paper_flops, (
            f'{model.name} lacks Paper Parameters / FLOPs; run '
            'tools/misc/gen_model_zoo.py --update-metadata --match ...')
        assert model.paper_params < model.params, model.name
        assert model.paper_flops < model.flops, model.name
    assert families == set(zoo.PAPER_COUNTINGS)


@pytest.mark.parametrize('config, params, flops, rel_params, rel_flops',
                         PAPER_TABLES)
def test_paper_counts_agree_with_the_papers(models, config, params, flops,
                                            rel_params, rel_flops):
    model = models[config]
    assert model.paper_params / 1e6 == pytest.approx(params, rel=rel_params)
    assert model.paper_flops / 1e9 == pytest.approx(flops, rel=rel_flops)


def test_committed_zoo_shows_both_counts_and_the_footnote(zoo):
    markdown = (ROOT / 'docs' / 'model_zoo.md').read_text()
    assert ('| slak-t_32xb128_in1k | [config](../configs/cls/slak/'
            'slak-t_32xb128_in1k.py) | 30.47 | 5.26 | 50.70 | 8.74 | 82.5 |'
            ) in markdown
    sections = markdown.split('\n## ')
    for family, counting in zoo.PAPER_COUNTINGS.items():
        section = next(s for s in sections if s.startswith(family + '\n'))
        assert counting.note in section
        assert (f'| Params (M)¹ | FLOPs (G)¹ | Params, {counting.built} (M) '
                f'| FLOPs, {counting.built} (G) |') in section
        assert '| Params (M) | FLOPs (G) |' not in section


@pytest.mark.parametrize('config, family', [
    ('configs/cls/unireplknet/unireplknet-t_32xb128_in1k.py', 'UniRepLKNet'),
    ('configs/cls/slak/slak-t_32xb128_in1k.py', 'SLaK'),
])
def test_paper_counts_match_a_fresh_measurement(zoo, models, config,
                                                family):
    params, flops = zoo.measure_config(str(ROOT), config,
                                       zoo.PAPER_COUNTINGS[family])
    assert params == pytest.approx(models[config].paper_params, rel=0.01)
    assert flops == pytest.approx(models[config].paper_flops, rel=0.01)


def test_paper_convention_table_rendering(zoo, tmp_path):
    """A family with a paper convention gets four count columns, the
    paper's first, 'n/a' where a figure is missing, and its footnote."""
    metafile = tmp_path / 'configs' / 'cls' / 'replknet' / 'metafile.yml'
    metafile.parent.mkdir(parents=True)
    metafile.write_text(textwrap.dedent("""\
        Models:
          - Name: rlk-a
            In Collection: RepLKNet
            Config: configs/cls/replknet/rlk-a.py
            Metadata:
              Parameters: 2000000
              FLOPs: 4000000000
              Paper Parameters: 1900000
              Paper FLOPs: 3900000000
          - Name: rlk-b
            In Collection: RepLKNet
            Config: configs/cls/replknet/rlk-b.py
            Metadata:
              Parameters: 3000000
              FLOPs: 5000000000
        """))
    assert zoo.main(['--root', str(tmp_path)]) == 0
    markdown = (tmp_path / 'docs' / 'model_zoo.md').read_text()
    assert ('| Model | Config | Params (M)¹ | FLOPs (G)¹ | '
            'Params, training form (M) | FLOPs, training form (G) |'
            ) in markdown
    assert '| rlk-a | [config](../configs/cls/replknet/rlk-a.py) | 1.90 | '\
        '3.90 | 2.00 | 4.00 |' in markdown
    assert '| rlk-b | [config](../configs/cls/replknet/rlk-b.py) | n/a | '\
        'n/a | 3.00 | 5.00 |' in markdown
    assert zoo.PAPER_COUNTINGS['RepLKNet'].note in markdown
