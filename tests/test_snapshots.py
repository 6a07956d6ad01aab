"""The refactoring checks: tools/misc/config_snapshot.py and
tools/misc/model_snapshot.py find a changed setting, key or output and pass
an unchanged tree."""
import torch

from tools.misc import config_snapshot, model_snapshot


def test_config_snapshot_finds_a_changed_setting(tmp_path, capsys):
    configs = tmp_path / 'configs'
    configs.mkdir()
    (configs / 'base.py').write_text('model = dict(depth=2, width=8)\n'
                                     'fragment = dict(width=8)\n')
    child = configs / 'child.py'
    child.write_text("_base_ = './base.py'\nmodel = dict(depth=3)\n")
    before, after = tmp_path / 'before.json', tmp_path / 'after.json'
    assert config_snapshot.main(
        ['dump', str(configs), '--out', str(before)]) == 0

    child.write_text("_base_ = './base.py'\nmodel = dict(depth=3)\n"
                     'fragment = dict(width=16)\n')
    assert config_snapshot.main(
        ['dump', str(configs), '--out', str(after)]) == 0
    assert config_snapshot.main(
        ['diff', str(before), str(after), '--ignore', 'fragment']) == 0

    child.write_text("_base_ = './base.py'\nmodel = dict(depth=4)\n")
    assert config_snapshot.main(
        ['dump', str(configs), '--out', str(after)]) == 0
    assert config_snapshot.main(['diff', str(before), str(after)]) == 1
    assert 'child.py: model.depth' in capsys.readouterr().out


def test_model_snapshot_passes_a_rebuild_and_fails_a_change(tmp_path,
                                                            capsys):
    before, after = tmp_path / 'before.pt', tmp_path / 'after.pt'
    names = ['convnext-atto', 'van-b0']
    args = ['--shape', '37', '33']
    assert model_snapshot.main(['dump', *names, *args,
                                '--out', str(before)]) == 0
    assert model_snapshot.main(['dump', *names, *args,
                                '--out', str(after)]) == 0
    assert model_snapshot.main(['diff', str(before), str(after)]) == 0
    report = capsys.readouterr().out
    assert report.count('identical') == 4  # train and deploy, both models

    records = torch.load(after, weights_only=True)
    records['van-b0']['deploy']['outputs'][0][0, 0, 0, 0] += 1e-3
    records['convnext-atto']['train']['shapes'].pop('stages.0.0.gamma')
    torch.save(records, after)
    assert model_snapshot.main(['diff', str(before), str(after)]) == 1
    report = capsys.readouterr().out
    assert 'van-b0                   deploy  max rel' in report
    assert 'convnext-atto            train   state dict changed' in report
